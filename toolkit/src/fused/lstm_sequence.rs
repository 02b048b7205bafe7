//! A whole LSTM layer over a sequence as a single operation:
//!
//! ```text
//! [a_i a_f a_c a_o] = x_t W + h_{t−1} U + b
//! i = σ(a_i)   f = σ(a_f)   g = tanh(a_c)   o = σ(a_o)
//! c_t = f ⊙ c_{t−1} + i ⊙ g
//! h_t = o ⊙ tanh(c_t)
//! ```
//!
//! Written as burn operations, a step is about fifteen passes over memory
//! and as many autodiff nodes; cutting each step's rows out of the inputs,
//! and the state into h and c, costs a zero tensor per cut in the backward
//! pass; and autodiff computes σ and tanh again there. Here the batch is cut
//! into one part per core (its sequences do not depend on each other), and
//! each part, on its own thread of rayon's pool (the one flex's operations
//! use, so no more threads than cores compete), runs:
//! - forward: a step is one product [x_t | h_{t−1}] [W; U] and one loop
//!   that keeps i, f, g, o and tanh(c_t);
//! - backward: back through time with what the loop kept (one product a
//!   step), then dW, dU and dx as one product each.
//!
//! The products call gemm, the matrix library under flex, or for a step's
//! few rows [`small_product`], directly and on one thread: they read and
//! write rows in place in the batch-major buffers, with no copies or
//! transposes. A step's rows lie a sequence apart in those buffers, so each
//! step asks the CPU for the next step's rows ahead of time
//! ([`prefetch`](super::matrix::prefetch)). The large buffers come from
//! [`scratch`] and go back to it. Where the layer returns only its last
//! state, so does the operation: every step's state is then neither copied
//! out nor sent back a gradient of zeros.

use super::matrix::{
    View, ViewMut, add_into, batch_parts, contiguous, in_parallel, per_part, per_part_mut, prefetch, product,
    vectorized, zeros,
};
use super::scratch::{recycle, scratch};
use super::small_product::small_product;
use super::{sigmoid, tanh};
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{Tensor, TensorData};

/// The backends that have the fused LSTM: flex, with or without autodiff.
#[backend_extension(Flex, Autodiff)]
pub trait LstmSequenceBackend: Backend {
    /// The inputs x (N, steps, features), the input kernel W (features,
    /// 4·units), the bias b (4·units), the first state [h | c] (N, 2·units)
    /// and the recurrent kernel U (units, 4·units), the gate blocks in
    /// Keras's order i, f, c, o → every step's state [h_t | c_t]
    /// (N, steps, 2·units) when `every_step`, else the last one (N, 1, 2·units).
    fn lstm_sequence(
        x: FloatTensor<Self>,
        kernel: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        start: FloatTensor<Self>,
        recurrent_kernel: FloatTensor<Self>,
        every_step: bool,
    ) -> FloatTensor<Self>;
}

/// Runs an LSTM over a batch of sequences: from the inputs x (N, steps,
/// features), the kernels W (features, 4·units) and U (units, 4·units), the
/// bias b (4·units) and the first state [h | c] (N, 2·units), every step's
/// state [h_t | c_t] (N, steps, 2·units) when `every_step`, else only the
/// last one (N, 1, 2·units): a layer that returns only its last h then
/// neither copies every step out nor takes a gradient for each back. Only
/// where [`available`](super::available) says so.
///
/// ```
/// use fireside::prelude::*;
/// let device = device();
/// let x = Tensor::<3>::zeros([1, 1, 1], &device); // one step of one sequence
/// let (kernel, bias) = (Tensor::<2>::zeros([1, 8], &device), Tensor::<1>::zeros([8], &device));
/// let start = Tensor::<2>::from_floats([[0.0, 0.0, 1.0, 1.0]], &device); // h = 0, c = 1
/// let recurrent = Tensor::<2>::ones([2, 8], &device);
/// if fireside::fused::available(&x) {
///     let state = fireside::fused::lstm_sequence(x, kernel, bias, start, recurrent, true).values();
///     // Every gate is σ(0) = 0.5 and the candidate tanh(0) = 0: c = 0.5·1, h = 0.5·tanh(0.5).
///     assert_eq!(state[2..], [0.5, 0.5]);
///     assert!((state[0] - 0.5 * 0.5f32.tanh()).abs() < 1e-6);
/// }
/// ```
pub fn lstm_sequence(
    x: Tensor<3>,
    kernel: Tensor<2>,
    bias: Tensor<1>,
    start: Tensor<2>,
    recurrent_kernel: Tensor<2>,
    every_step: bool,
) -> Tensor<3> {
    let ([n, steps, features], [units, _]) = (x.dims(), recurrent_kernel.dims());
    assert!(
        n > 0
            && steps > 0
            && features > 0
            && units > 0
            && kernel.dims() == [features, 4 * units]
            && bias.dims() == [4 * units]
            && start.dims() == [n, 2 * units]
            && recurrent_kernel.dims() == [units, 4 * units],
        "an LSTM takes (N, steps, features) inputs with N, steps and features at least 1, a \
         (features, 4·units) kernel, a (4·units) bias, an (N, 2·units) first state and a \
         (units, 4·units) recurrent kernel; got {:?}, {:?}, {:?}, {:?} and {:?}",
        x.dims(),
        kernel.dims(),
        bias.dims(),
        start.dims(),
        recurrent_kernel.dims()
    );
    Tensor::from_dispatch(<Dispatch as LstmSequenceBackend>::lstm_sequence(
        x.into_dispatch(),
        kernel.into_dispatch(),
        bias.into_dispatch(),
        start.into_dispatch(),
        recurrent_kernel.into_dispatch(),
        every_step,
    ))
}

impl LstmSequenceBackend for Flex {
    fn lstm_sequence(
        x: FlexTensor,
        kernel: FlexTensor,
        bias: FlexTensor,
        start: FlexTensor,
        recurrent_kernel: FlexTensor,
        every_step: bool,
    ) -> FlexTensor {
        forward(Inputs { x, kernel, bias, start, recurrent_kernel }, every_step).0
    }
}

/// The operation's inputs, in the order of [`LstmSequenceBackend::lstm_sequence`].
#[derive(Clone, Debug)]
struct Inputs {
    x: FlexTensor,
    kernel: FlexTensor,
    bias: FlexTensor,
    start: FlexTensor,
    recurrent_kernel: FlexTensor,
}

/// The sizes, read from the inputs' shapes.
#[derive(Clone, Copy, Debug)]
struct Dims {
    n: usize,
    steps: usize,
    features: usize,
    units: usize,
}

impl Inputs {
    fn dims(&self) -> Dims {
        let x = self.x.layout().shape();
        Dims { n: x[0], steps: x[1], features: x[2], units: self.recurrent_kernel.layout().shape()[0] }
    }
}

/// What the backward pass reads: the inputs, whether the output held every
/// step, and, batch-major, every step's activated gates [i f g o]
/// (N·steps, 4·units), tanh(c_t) (N·steps, units) and state [h | c]
/// (N·steps, 2·units).
#[derive(Clone, Debug)]
struct Saved {
    inputs: Inputs,
    every_step: bool,
    gates: Vec<f32>,
    tanh_c: Vec<f32>,
    states: FlexTensor,
}

impl Drop for Saved {
    fn drop(&mut self) {
        recycle(std::mem::take(&mut self.gates));
        recycle(std::mem::take(&mut self.tanh_c));
    }
}

#[derive(Debug)]
struct LstmSequenceBackward;

impl Backward<Flex, 5> for LstmSequenceBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 5>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let [x, kernel, bias, start, recurrent_kernel] = ops.parents;
        let dims = ops.state.inputs.dims();
        let (units, features) = (dims.units, dims.features);
        let all = backward(&ops.state, &grad, x.is_some());
        let tensor = |values, shape: &[usize]| FlexTensor::from_data(TensorData::new(values, shape.to_vec()));
        if let Some(node) = x {
            grads.register::<Flex>(node.id, tensor(all.x, &[dims.n, dims.steps, features]));
        }
        if let Some(node) = kernel {
            grads.register::<Flex>(node.id, tensor(all.kernel, &[features, 4 * units]));
        }
        if let Some(node) = bias {
            grads.register::<Flex>(node.id, tensor(all.bias, &[4 * units]));
        }
        if let Some(node) = start {
            grads.register::<Flex>(node.id, tensor(all.start, &[dims.n, 2 * units]));
        }
        if let Some(node) = recurrent_kernel {
            grads.register::<Flex>(node.id, tensor(all.recurrent_kernel, &[units, 4 * units]));
        }
    }
}

impl<C: CheckpointStrategy> LstmSequenceBackend for Autodiff<Flex, C> {
    fn lstm_sequence(
        x: FloatTensor<Self>,
        kernel: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        start: FloatTensor<Self>,
        recurrent_kernel: FloatTensor<Self>,
        every_step: bool,
    ) -> FloatTensor<Self> {
        // Compute-bound: its state is kept rather than the sequence being run again.
        let prep = LstmSequenceBackward
            .prepare::<C>([x.node(), kernel.node(), bias.node(), start.node(), recurrent_kernel.node()])
            .compute_bound()
            .stateful();
        let inputs = Inputs {
            x: Self::inner(x),
            kernel: Self::inner(kernel),
            bias: Self::inner(bias),
            start: Self::inner(start),
            recurrent_kernel: Self::inner(recurrent_kernel),
        };
        match prep {
            OpsKind::Tracked(prep) => {
                let (output, saved) = forward(inputs, every_step);
                prep.finish(saved, output)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(inputs, every_step).0),
        }
    }
}

/// The output (every step's state [h | c], (N, steps, 2·units), or the
/// last one, (N, 1, 2·units)) and what the backward pass needs.
fn forward(inputs: Inputs, every_step: bool) -> (FlexTensor, Saved) {
    let dims = inputs.dims();
    let Dims { n, steps, features, units } = dims;
    let (x, kernel, bias, start, recurrent_kernel) = (
        contiguous(&inputs.x),
        contiguous(&inputs.kernel),
        contiguous(&inputs.bias),
        contiguous(&inputs.start),
        contiguous(&inputs.recurrent_kernel),
    );
    // Written whole before they are read: the product writes every gate,
    // the step loops every tanh(c) and state.
    let mut gates = scratch(n * steps * 4 * units);
    let mut tanh_c = scratch(n * steps * units);
    let mut states = zeros(n * steps * 2 * units);
    let parts = batch_parts(n);
    // [W; U] (features + units, 4·units): a step's pre-activations are one
    // product [x_t | h_{t−1}] [W; U], written once, where a product x W for
    // all steps first wrote them and every step then read them back.
    let stacked: Vec<f32> = kernel.iter().chain(recurrent_kernel.iter()).copied().collect();
    let (stacked, bias) = (&stacked[..], &bias[..]);
    let width = features + units;
    let jobs = parts
        .iter()
        .zip(per_part(&x, steps * features, &parts))
        .zip(per_part(&start, 2 * units, &parts))
        .zip(per_part_mut(&mut gates, steps * 4 * units, &parts))
        .zip(per_part_mut(&mut tanh_c, steps * units, &parts))
        .zip(per_part_mut(&mut states, steps * 2 * units, &parts))
        .map(|(((((rows, x), start), gates), tanh_c), states)| {
            let m = rows.len();
            move || {
                // The step's [x_t | h_{t−1}], a row per sequence of the part.
                let mut inputs = vec![0.0f32; m * width];
                for t in 0..steps {
                    for (sequence, to) in inputs.chunks_exact_mut(width).enumerate() {
                        let row = sequence * steps + t;
                        to[..features].copy_from_slice(&x[row * features..][..features]);
                        to[features..].copy_from_slice(match t {
                            0 => &start[sequence * 2 * units..][..units],
                            _ => &states[(row - 1) * 2 * units..][..units],
                        });
                        if t + 1 < steps {
                            prefetch(&x[(row + 1) * features..][..features]);
                        }
                    }
                    small_product(
                        ViewMut::step_rows(&mut *gates, steps, t, 4 * units, 4 * units),
                        View::row_major(&inputs, m, width),
                        View::row_major(stacked, width, 4 * units),
                        false,
                    );
                    step_forward(StepForward {
                        units,
                        steps,
                        t,
                        bias,
                        start,
                        gates: &mut *gates,
                        tanh_c: &mut *tanh_c,
                        states: &mut *states,
                    });
                }
            }
        });
    in_parallel(jobs.collect());
    let last: Vec<f32> = match every_step {
        true => Vec::new(),
        false => states
            .chunks_exact(steps * 2 * units)
            .flat_map(|row| &row[(steps - 1) * 2 * units..])
            .copied()
            .collect(),
    };
    let states = FlexTensor::from_data(TensorData::new(states, [n, steps, 2 * units]));
    let output = match every_step {
        true => states.clone(),
        false => FlexTensor::from_data(TensorData::new(last, [n, 1, 2 * units])),
    };
    (output, Saved { inputs, every_step, gates, tanh_c, states })
}

/// The gradients of every input, from that of every step's state.
struct AllGradients {
    x: Vec<f32>,
    kernel: Vec<f32>,
    bias: Vec<f32>,
    start: Vec<f32>,
    recurrent_kernel: Vec<f32>,
}

/// Each part's gradients of the weights, summed over its rows.
struct PartGradients {
    kernel: Vec<f32>,
    bias: Vec<f32>,
    recurrent_kernel: Vec<f32>,
}

/// Back-propagation through time, each part of the batch on its own thread,
/// from the output's gradient `grad`; dx only when `with_x` (a first layer's
/// inputs need none).
fn backward(saved: &Saved, grad: &FlexTensor, with_x: bool) -> AllGradients {
    let dims = saved.inputs.dims();
    let Dims { n, steps, features, units } = dims;
    let grad = contiguous(grad);
    let (x, kernel, start, recurrent_kernel, states) = (
        contiguous(&saved.inputs.x),
        contiguous(&saved.inputs.kernel),
        contiguous(&saved.inputs.start),
        contiguous(&saved.inputs.recurrent_kernel),
        contiguous(&saved.states),
    );
    let mut d_x = zeros(if with_x { n * steps * features } else { 0 });
    // What reaches the state, carried back through time: from the last
    // step on, the output's gradient when the output is the last state.
    let mut d_start = match saved.every_step {
        true => vec![0.0f32; n * 2 * units],
        false => grad.to_vec(),
    };
    // The gradient of every step's output, or (for the last state only) none.
    let (grad_steps, grad_per_row): (&[f32], usize) =
        if saved.every_step { (&grad, steps * 2 * units) } else { (&[], 0) };
    let no_grad = vec![0.0f32; 2 * units];
    let no_grad = &no_grad[..];
    let parts = batch_parts(n);
    // Uᵀ laid out row by row, once, for the per-step products dgates Uᵀ.
    let recurrent_transposed: Vec<f32> = (0..4 * units)
        .flat_map(|j| (0..units).map(move |i| (i, j)))
        .map(|(i, j)| recurrent_kernel[i * 4 * units + j])
        .collect();
    let recurrent_transposed = &recurrent_transposed[..];
    let kernel = &kernel[..];
    let d_x_parts = match with_x {
        true => per_part_mut(&mut d_x, steps * features, &parts).into_iter().map(Some).collect(),
        false => parts.iter().map(|_| None).collect::<Vec<_>>(),
    };
    let jobs = parts
        .iter()
        .zip(per_part(grad_steps, grad_per_row, &parts))
        .zip(per_part(&saved.gates, steps * 4 * units, &parts))
        .zip(per_part(&saved.tanh_c, steps * units, &parts))
        .zip(per_part(&states, steps * 2 * units, &parts))
        .zip(per_part(&start, 2 * units, &parts))
        .zip(per_part(&x, steps * features, &parts))
        .zip(per_part_mut(&mut d_start, 2 * units, &parts))
        .zip(d_x_parts)
        .map(|((((((((rows, grad), gates), tanh_c), states), start), x), d_state), d_x)| {
            let m = rows.len();
            move || {
                // Written whole, a step at a time, before the products read it.
                let mut d_pre = scratch(m * steps * 4 * units);
                let mut d_bias = vec![0.0f32; 4 * units];
                // `d_state` carries what reaches step t's [h | c] from step t + 1;
                // after step 0 it is the first state's gradient.
                for t in (0..steps).rev() {
                    step_backward(StepBackward {
                        units,
                        steps,
                        t,
                        grad: match grad.is_empty() {
                            false => Incoming::EveryStep(grad),
                            true => Incoming::None(no_grad),
                        },
                        gates,
                        tanh_c,
                        states,
                        start,
                        d_pre: &mut d_pre,
                        d_state: &mut *d_state,
                        d_bias: &mut d_bias,
                    });
                    // What reaches h_{t−1}: d_pre_t Uᵀ.
                    small_product(
                        ViewMut::step_rows(&mut *d_state, 1, 0, units, 2 * units),
                        View::step_rows(&d_pre, steps, t, 4 * units, 4 * units),
                        View::row_major(recurrent_transposed, 4 * units, units),
                        false,
                    );
                }
                let d_pre_rows = View::row_major(&d_pre, m * steps, 4 * units);
                // Every row's h_{t−1}: the first state's h, then its own earlier steps'.
                let mut h_previous = Vec::with_capacity(m * steps * units);
                for row in 0..m {
                    h_previous.extend_from_slice(&start[row * 2 * units..][..units]);
                    for step in states[row * steps * 2 * units..].chunks_exact(2 * units).take(steps - 1) {
                        h_previous.extend_from_slice(&step[..units]);
                    }
                }
                // dUᵀ = d_preᵀ h_{t−1} and dWᵀ = d_preᵀ x, transposed after.
                let mut d_recurrent_kernel_t = vec![0.0f32; 4 * units * units];
                product(
                    ViewMut::row_major(&mut d_recurrent_kernel_t, 4 * units, units),
                    d_pre_rows.transposed(),
                    View::row_major(&h_previous, m * steps, units),
                    false,
                );
                let mut d_kernel_t = vec![0.0f32; 4 * units * features];
                product(
                    ViewMut::row_major(&mut d_kernel_t, 4 * units, features),
                    d_pre_rows.transposed(),
                    View::row_major(x, m * steps, features),
                    false,
                );
                let d_recurrent_kernel = transposed(&d_recurrent_kernel_t, 4 * units, units);
                let d_kernel = transposed(&d_kernel_t, 4 * units, features);
                if let Some(d_x) = d_x {
                    product(
                        ViewMut::row_major(d_x, m * steps, features),
                        d_pre_rows,
                        View::row_major(kernel, features, 4 * units).transposed(),
                        false,
                    );
                }
                recycle(d_pre);
                PartGradients { kernel: d_kernel, bias: d_bias, recurrent_kernel: d_recurrent_kernel }
            }
        });
    let mut parts = in_parallel(jobs.collect()).into_iter();
    let mut sum = parts.next().expect("at least one part");
    for part in parts {
        for (total, part) in [
            (&mut sum.kernel, part.kernel),
            (&mut sum.bias, part.bias),
            (&mut sum.recurrent_kernel, part.recurrent_kernel),
        ] {
            total.iter_mut().zip(part).for_each(|(total, part)| *total += part);
        }
    }
    AllGradients {
        x: d_x,
        kernel: sum.kernel,
        bias: sum.bias,
        start: d_start,
        recurrent_kernel: sum.recurrent_kernel,
    }
}

/// A (rows, cols) row-major matrix's transpose, row-major.
fn transposed(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols).flat_map(|j| (0..rows).map(move |i| values[i * cols + j])).collect()
}

/// Step `t` for every row of a part: the gates from their pre-activations
/// (x_t W + h_{t−1} U in `gates`, plus the bias), then the new state.
struct StepForward<'a> {
    units: usize,
    steps: usize,
    t: usize,
    bias: &'a [f32],
    /// The part's first states [h | c], (rows, 2·units).
    start: &'a [f32],
    /// Batch-major, (rows·steps, width): [i f g o], tanh(c_t), [h | c]_t.
    gates: &'a mut [f32],
    tanh_c: &'a mut [f32],
    states: &'a mut [f32],
}

fn step_forward(step: StepForward) {
    let StepForward { units, steps, t, bias, start, gates, tanh_c, states } = step;
    for (sequence, start) in start.chunks_exact(2 * units).enumerate() {
        let row = sequence * steps + t;
        let (earlier, now) = states.split_at_mut(row * 2 * units);
        let c_previous = match t {
            0 => &start[units..],
            _ => &earlier[(row - 1) * 2 * units + units..][..units],
        };
        if t + 1 < steps {
            // The row's next step, which the next step's product adds to.
            prefetch(&gates[(row + 1) * 4 * units..][..4 * units]);
            prefetch(&tanh_c[(row + 1) * units..][..units]);
            prefetch(&now[2 * units..][..2 * units]);
        }
        let (h_out, c_out) = now[..2 * units].split_at_mut(units);
        let (gates, tanh_c) =
            (&mut gates[row * 4 * units..][..4 * units], &mut tanh_c[row * units..][..units]);
        row_forward([bias, c_previous], gates, tanh_c, h_out, c_out);
    }
}

vectorized! {
    /// One row of [`StepForward`]: see [`row_forward_loops`].
    fn row_forward(
        read: [&[f32]; 2],
        gates: &mut [f32],
        tanh_c: &mut [f32],
        h_out: &mut [f32],
        c_out: &mut [f32],
    ) => row_forward_loops
}

/// From the bias, c_{t−1} and the pre-activations without the bias (in
/// `gates`, 4·units): the gates [i f g o] (into `gates`), tanh(c_t), h_t and c_t.
#[inline(always)]
fn row_forward_loops(
    [bias, c_previous]: [&[f32]; 2],
    gates: &mut [f32],
    tanh_c: &mut [f32],
    h_out: &mut [f32],
    c_out: &mut [f32],
) {
    // Every slice cut to `units` first, so that the loops have no bounds checks.
    let units = c_out.len();
    let (bias, c_previous, tanh_c, h_out) =
        (&bias[..4 * units], &c_previous[..units], &mut tanh_c[..units], &mut h_out[..units]);
    // σ over the i, f and o blocks, tanh over the candidate's.
    let (sigmoid_blocks, rest) = gates[..4 * units].split_at_mut(2 * units);
    let (candidate, o_block) = rest.split_at_mut(units);
    let (bias_sigmoid, bias_rest) = bias.split_at(2 * units);
    let (bias_candidate, bias_o) = bias_rest.split_at(units);
    for (block, bias) in [(sigmoid_blocks, bias_sigmoid), (o_block, bias_o)] {
        for (gate, b) in block.iter_mut().zip(bias) {
            *gate = sigmoid(*gate + b);
        }
    }
    for (gate, b) in candidate.iter_mut().zip(bias_candidate) {
        *gate = tanh(*gate + b);
    }
    let (i, rest) = gates.split_at(units);
    let (f, rest) = rest.split_at(units);
    let (g, o) = rest.split_at(units);
    let (i, f, g, o) = (&i[..units], &f[..units], &g[..units], &o[..units]);
    for k in 0..units {
        let c = f[k] * c_previous[k] + i[k] * g[k];
        c_out[k] = c;
        tanh_c[k] = tanh(c);
        h_out[k] = o[k] * tanh_c[k];
    }
}

/// Step `t` backward for every row of a part: each row's d_pre_t (the
/// gradient of its gates' pre-activations) from the gradient of its state,
/// what reaches c_{t−1}, and the bias's share.
struct StepBackward<'a> {
    units: usize,
    steps: usize,
    t: usize,
    /// The gradient of every [h | c]_t from the loss.
    grad: Incoming<'a>,
    /// Batch-major, (rows·steps, width): what the forward pass kept.
    gates: &'a [f32],
    tanh_c: &'a [f32],
    states: &'a [f32],
    /// The part's first states [h | c], (rows, 2·units).
    start: &'a [f32],
    /// Out: batch-major d_pre (rows·steps, 4·units).
    d_pre: &'a mut [f32],
    /// In: what reaches [h | c]_t from step t + 1; out: c_{t−1}'s part of it.
    d_state: &'a mut [f32],
    /// Summed into: the bias's gradient.
    d_bias: &'a mut [f32],
}

/// What reaches a step's output [h | c]_t directly from the loss.
#[derive(Clone, Copy)]
enum Incoming<'a> {
    /// Batch-major, (rows·steps, 2·units): a gradient for every step.
    EveryStep(&'a [f32]),
    /// Nothing (the output was the last state, whose gradient came in as
    /// `d_state`): 2·units zeros.
    None(&'a [f32]),
}

fn step_backward(step: StepBackward) {
    let StepBackward { units, steps, t, grad, gates, tanh_c, states, start, d_pre, d_state, d_bias } = step;
    for (sequence, (start, d_state)) in
        start.chunks_exact(2 * units).zip(d_state.chunks_exact_mut(2 * units)).enumerate()
    {
        let row = sequence * steps + t;
        if t > 0 {
            // What the row's step before needs, read next.
            prefetch(&gates[(row - 1) * 4 * units..][..4 * units]);
            prefetch(&tanh_c[(row - 1) * units..][..units]);
            prefetch(&d_pre[(row - 1) * 4 * units..][..4 * units]);
            if t > 1 {
                prefetch(&states[(row - 2) * 2 * units + units..][..units]);
            }
        }
        let c_previous = match t {
            0 => &start[units..],
            _ => &states[(row - 1) * 2 * units + units..][..units],
        };
        let gates = &gates[row * 4 * units..][..4 * units];
        let (i, rest) = gates.split_at(units);
        let (f, rest) = rest.split_at(units);
        let (g, o) = rest.split_at(units);
        let (d_h_out, d_c_out) = match grad {
            Incoming::EveryStep(grad) => {
                if t > 0 {
                    prefetch(&grad[(row - 1) * 2 * units..][..2 * units]);
                }
                grad[row * 2 * units..][..2 * units].split_at(units)
            }
            Incoming::None(zeros) => zeros.split_at(units),
        };
        let tanh_c = &tanh_c[row * units..][..units];
        let (d_h_next, d_c_next) = d_state.split_at_mut(units);
        let d_pre = &mut d_pre[row * 4 * units..][..4 * units];
        {
            let (d_i, rest) = d_pre.split_at_mut(units);
            let (d_f, rest) = rest.split_at_mut(units);
            let (d_g, d_o) = rest.split_at_mut(units);
            row_backward(
                [i, f, g, o],
                [tanh_c, c_previous],
                [d_h_out, d_c_out, d_h_next],
                d_c_next,
                d_i,
                d_f,
                d_g,
                d_o,
            );
        }
        add_into(d_bias, d_pre);
    }
}

vectorized! {
    /// One row of [`StepBackward`]: see [`row_backward_loop`].
    fn row_backward(
        gates: [&[f32]; 4],
        kept: [&[f32]; 2],
        incoming: [&[f32]; 3],
        d_c_next: &mut [f32],
        d_i: &mut [f32],
        d_f: &mut [f32],
        d_g: &mut [f32],
        d_o: &mut [f32],
    ) => row_backward_loop
}

/// From one row's gates, `kept` (tanh(c_t) and c_{t−1}) and `incoming` (the gradients
/// of h_t and c_t from the loss, and of h_t from step t + 1):
/// the gradients of the four pre-activations, and (in `d_c_next`, which
/// holds that of c_t from step t + 1) that of c_{t−1}. Each slice is
/// `units` long.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn row_backward_loop(
    [i, f, g, o]: [&[f32]; 4],
    [tanh_c, c_previous]: [&[f32]; 2],
    [d_h_out, d_c_out, d_h_next]: [&[f32]; 3],
    d_c_next: &mut [f32],
    d_i: &mut [f32],
    d_f: &mut [f32],
    d_g: &mut [f32],
    d_o: &mut [f32],
) {
    // Every slice cut to `units` first, so that the loop has no bounds checks.
    let units = d_c_next.len();
    let (i, f, g, o) = (&i[..units], &f[..units], &g[..units], &o[..units]);
    let (tanh_c, c_previous) = (&tanh_c[..units], &c_previous[..units]);
    let (d_h_out, d_c_out, d_h_next) = (&d_h_out[..units], &d_c_out[..units], &d_h_next[..units]);
    let (d_i, d_f, d_g, d_o) = (&mut d_i[..units], &mut d_f[..units], &mut d_g[..units], &mut d_o[..units]);
    for k in 0..units {
        [d_i[k], d_f[k], d_g[k], d_o[k], d_c_next[k]] = cell_backward([
            i[k],
            f[k],
            g[k],
            o[k],
            tanh_c[k],
            c_previous[k],
            d_h_out[k],
            d_c_out[k],
            d_h_next[k],
            d_c_next[k],
        ]);
    }
}

/// One unit of one row, backward: from i, f, g, o, tanh(c_t), c_{t−1}, the
/// gradients of h_t and c_t from the loss, and those from step t + 1, the
/// gradients of the four pre-activations and what reaches c_{t−1}.
#[inline(always)]
fn cell_backward(
    [i, f, g, o, tanh_c, c_previous, d_h_out, d_c_out, d_h_next, d_c_next]: [f32; 10],
) -> [f32; 5] {
    let d_h = d_h_out + d_h_next;
    // c_t reaches the loss directly, through the next step, and through h_t = o·tanh(c_t).
    let d_c = d_c_out + d_c_next + d_h * o * (1.0 - tanh_c * tanh_c);
    // σ' = σ(1 − σ), tanh' = 1 − tanh².
    [
        d_c * g * i * (1.0 - i),
        d_c * c_previous * f * (1.0 - f),
        d_c * i * (1.0 - g * g),
        d_h * tanh_c * o * (1.0 - o),
        d_c * f,
    ]
}
