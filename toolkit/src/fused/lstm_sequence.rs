//! A whole LSTM sequence as a single operation, from the inputs' projection:
//!
//! ```text
//! [a_i a_f a_c a_o] = (x_t W + b) + h_{t−1} U        (x_t W + b for all steps at once, outside)
//! i = σ(a_i)   f = σ(a_f)   g = tanh(a_c)   o = σ(a_o)
//! c_t = f ⊙ c_{t−1} + i ⊙ g
//! h_t = o ⊙ tanh(c_t)
//! ```
//!
//! Written as burn operations, a step is about fifteen passes over memory
//! and as many autodiff nodes; cutting each step's rows out of the
//! projection, and the state into h and c, costs a zero tensor per cut in the
//! backward pass; and autodiff computes σ and tanh again there. Here a step
//! is one matrix product and one loop that keeps i, f, g, o and tanh(c_t);
//! the backward pass goes back through time with them (one product a step)
//! and computes dU in one product over all steps.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::flex::ops::matmul::matmul;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{Tensor, TensorData};

use super::{sigmoid, tanh};

/// The backends that have the fused LSTM: flex, with or without autodiff.
#[backend_extension(Flex, Autodiff)]
pub trait LstmSequenceBackend: Backend {
    /// Every step's projected input x_t W + b (steps·N, 4·units), step-major,
    /// in Keras's block order i, f, c, o; the first state [h | c]
    /// (N, 2·units); the recurrent kernel U (units, 4·units) → every step's
    /// state [h_t | c_t] (steps·N, 2·units), step-major.
    fn lstm_sequence(
        projected: FloatTensor<Self>,
        start: FloatTensor<Self>,
        recurrent_kernel: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// Runs an LSTM over a sequence: every step's state [h_t | c_t]
/// (steps·N, 2·units), step-major, from the projected inputs x_t W + b
/// (steps·N, 4·units), step-major, the first state [h | c] (N, 2·units) and
/// the recurrent kernel U (units, 4·units). Only where
/// [`available`](super::available) says so.
///
/// ```
/// use fireside::prelude::*;
/// let device = device();
/// let projected = Tensor::<2>::zeros([1, 8], &device); // one step of one sequence
/// let start = Tensor::<2>::from_floats([[0.0, 0.0, 1.0, 1.0]], &device); // h = 0, c = 1
/// let recurrent = Tensor::<2>::ones([2, 8], &device);
/// if fireside::fused::available(&projected) {
///     let state = fireside::fused::lstm_sequence(projected, start, recurrent).values();
///     // Every gate is σ(0) = 0.5 and the candidate tanh(0) = 0: c = 0.5·1, h = 0.5·tanh(0.5).
///     assert_eq!(state[2..], [0.5, 0.5]);
///     assert!((state[0] - 0.5 * 0.5f32.tanh()).abs() < 1e-6);
/// }
/// ```
pub fn lstm_sequence(projected: Tensor<2>, start: Tensor<2>, recurrent_kernel: Tensor<2>) -> Tensor<2> {
    let ([rows, width], [n, state_width]) = (projected.dims(), start.dims());
    let units = state_width / 2;
    assert!(
        n > 0 && rows % n == 0 && width == 4 * units && recurrent_kernel.dims() == [units, 4 * units],
        "an LSTM takes (steps·N, 4·units) projected inputs, an (N, 2·units) first state and a \
         (units, 4·units) recurrent kernel; got {:?}, {:?} and {:?}",
        projected.dims(),
        start.dims(),
        recurrent_kernel.dims()
    );
    Tensor::from_dispatch(<Dispatch as LstmSequenceBackend>::lstm_sequence(
        projected.into_dispatch(),
        start.into_dispatch(),
        recurrent_kernel.into_dispatch(),
    ))
}

impl LstmSequenceBackend for Flex {
    fn lstm_sequence(projected: FlexTensor, start: FlexTensor, recurrent_kernel: FlexTensor) -> FlexTensor {
        forward(&projected, &start, &recurrent_kernel).0
    }
}

/// What the backward pass reads.
#[derive(Clone, Debug)]
struct Saved {
    /// Every step's activated gates [i f g o], (steps·N, 4·units).
    gates: Vec<f32>,
    /// Every step's tanh(c_t), (steps·N, units).
    tanh_c: Vec<f32>,
    /// Every step's state [h | c], (steps·N, 2·units): the output.
    states: FlexTensor,
    start: FlexTensor,
    recurrent_kernel: FlexTensor,
}

#[derive(Debug)]
struct LstmSequenceBackward;

impl Backward<Flex, 3> for LstmSequenceBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 3>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let [projected, start, recurrent_kernel] = ops.parents;
        let saved = &ops.state;
        let (d_pre, d_start) = backward_through_time(saved, &grad);
        if let Some(node) = recurrent_kernel {
            // dU = Σ_t h_{t−1}ᵀ · d_pre_t, as one product over all steps.
            let h_previous = previous_hs(saved);
            grads.register::<Flex>(node.id, matmul(h_previous.transpose(0, 1), d_pre.clone()));
        }
        if let Some(node) = start {
            grads.register::<Flex>(node.id, d_start);
        }
        if let Some(node) = projected {
            grads.register::<Flex>(node.id, d_pre);
        }
    }
}

impl<C: CheckpointStrategy> LstmSequenceBackend for Autodiff<Flex, C> {
    fn lstm_sequence(
        projected: FloatTensor<Self>,
        start: FloatTensor<Self>,
        recurrent_kernel: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        // Compute-bound: its state is kept rather than the sequence being run again.
        let prep = LstmSequenceBackward
            .prepare::<C>([projected.node(), start.node(), recurrent_kernel.node()])
            .compute_bound()
            .stateful();
        let (projected, start, recurrent_kernel) =
            (Self::inner(projected), Self::inner(start), Self::inner(recurrent_kernel));
        match prep {
            OpsKind::Tracked(prep) => {
                let (states, saved) = forward(&projected, &start, &recurrent_kernel);
                prep.finish(saved, states)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(&projected, &start, &recurrent_kernel).0),
        }
    }
}

/// A flex tensor's values in row-major order: a view when it is contiguous, else a copy.
fn contiguous(tensor: &FlexTensor) -> std::borrow::Cow<'_, [f32]> {
    match tensor.as_slice::<f32>() {
        Some(values) => values.into(),
        None => tensor.to_contiguous().storage::<f32>().to_vec().into(),
    }
}

fn flex(values: Vec<f32>, shape: [usize; 2]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// Every step's state [h | c] and what the backward pass needs.
fn forward(projected: &FlexTensor, start: &FlexTensor, recurrent_kernel: &FlexTensor) -> (FlexTensor, Saved) {
    let units = recurrent_kernel.layout().shape()[0];
    let n = start.layout().shape()[0];
    let (projected_values, start_values) = (contiguous(projected), contiguous(start));
    let steps = projected_values.len() / (n * 4 * units);
    let mut gates = vec![0.0f32; steps * n * 4 * units];
    let mut tanh_c = vec![0.0f32; steps * n * units];
    let mut states = vec![0.0f32; steps * n * 2 * units];
    let parts = batch_parts(n);
    let work = parts
        .iter()
        .zip(per_part(&mut gates, n, 4 * units, &parts))
        .zip(per_part(&mut tanh_c, n, units, &parts))
        .zip(per_part(&mut states, n, 2 * units, &parts))
        .map(|(((rows, gates), tanh_c), states)| {
            let (projected, start) =
                (&projected_values[..], &start_values[rows.start * 2 * units..rows.end * 2 * units]);
            let rows = rows.clone();
            move || {
                let mut state = start.to_vec();
                for (step, ((gates, tanh_c), next_state)) in
                    gates.into_iter().zip(tanh_c).zip(states).enumerate()
                {
                    let h = state.chunks_exact(2 * units).flat_map(|row| &row[..units]).copied().collect();
                    let recurrent = matmul(flex(h, [rows.len(), units]), recurrent_kernel.clone());
                    let block = step * n + rows.start..step * n + rows.end;
                    step_forward(StepForward {
                        units,
                        projected: &projected[block.start * 4 * units..block.end * 4 * units],
                        recurrent: &contiguous(&recurrent),
                        state: &state,
                        gates,
                        tanh_c,
                        next_state: &mut *next_state,
                    });
                    state.copy_from_slice(next_state);
                }
            }
        });
    in_parallel(work.collect());
    let states = flex(states, [steps * n, 2 * units]);
    let saved = Saved {
        gates,
        tanh_c,
        states: states.clone(),
        start: start.clone(),
        recurrent_kernel: recurrent_kernel.clone(),
    };
    (states, saved)
}

/// The batch's rows cut into one part per core: the sequences of a batch do
/// not depend on each other, so each part runs its recurrence on its own
/// thread (one step's product is too small for the matrix library to split).
fn batch_parts(n: usize) -> Vec<std::ops::Range<usize>> {
    // Below this many rows a part costs more in threads than it saves.
    const MIN_ROWS: usize = 8;
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    let parts = cores.min(n / MIN_ROWS).max(1);
    (0..parts).map(|part| part * n / parts..(part + 1) * n / parts).collect()
}

/// A step-major (steps·N, width) buffer as, for each part of the batch, its
/// rows of every step.
fn per_part<'a>(
    buffer: &'a mut [f32],
    n: usize,
    width: usize,
    parts: &[std::ops::Range<usize>],
) -> Vec<Vec<&'a mut [f32]>> {
    let mut per_part: Vec<Vec<&'a mut [f32]>> = parts.iter().map(|_| Vec::new()).collect();
    for mut step in buffer.chunks_exact_mut(n * width) {
        for (rows, part) in parts.iter().zip(&mut per_part) {
            let (these, rest) = std::mem::take(&mut step).split_at_mut(rows.len() * width);
            part.push(these);
            step = rest;
        }
    }
    per_part
}

/// Runs each closure on its own thread, the last on this one.
fn in_parallel<T: Send>(mut work: Vec<impl FnOnce() -> T + Send>) -> Vec<T> {
    let last = work.pop().expect("at least one part");
    std::thread::scope(|scope| {
        let others: Vec<_> = work.into_iter().map(|job| scope.spawn(job)).collect();
        let last = last();
        let mut results: Vec<T> =
            others.into_iter().map(|job| job.join().expect("an LSTM part panicked")).collect();
        results.push(last);
        results
    })
}

/// One step's element-wise work over its N rows.
struct StepForward<'a> {
    units: usize,
    /// x_t W + b and h_{t−1} U, (N, 4·units) each.
    projected: &'a [f32],
    recurrent: &'a [f32],
    /// [h | c]_{t−1}, (N, 2·units).
    state: &'a [f32],
    /// Out: [i f g o], (N, 4·units); tanh(c_t), (N, units); [h | c]_t, (N, 2·units).
    gates: &'a mut [f32],
    tanh_c: &'a mut [f32],
    next_state: &'a mut [f32],
}

/// [`StepForward`] with AVX2 where the CPU has it (8 numbers an instruction
/// instead of the baseline x86-64's 4), checked once per call.
fn step_forward(step: StepForward) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked on the line above.
        return unsafe { step_forward_avx2(step) };
    }
    step_forward_portable(step)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn step_forward_avx2(step: StepForward) {
    step_forward_portable(step)
}

#[inline(always)]
fn step_forward_portable(step: StepForward) {
    let StepForward { units, projected, recurrent, state, gates, tanh_c, next_state } = step;
    let rows = gates
        .chunks_exact_mut(4 * units)
        .zip(tanh_c.chunks_exact_mut(units))
        .zip(next_state.chunks_exact_mut(2 * units))
        .zip(projected.chunks_exact(4 * units).zip(recurrent.chunks_exact(4 * units)))
        .zip(state.chunks_exact(2 * units));
    for ((((gates, tanh_c), next_state), (projected, recurrent)), state) in rows {
        // σ over all four blocks, then tanh over the candidate's: plain loops that vectorize.
        for ((gate, a), b) in gates.iter_mut().zip(projected).zip(recurrent) {
            *gate = sigmoid(a + b);
        }
        let candidate = 2 * units..3 * units;
        let pre_candidate = projected[candidate.clone()].iter().zip(&recurrent[candidate.clone()]);
        for (gate, (a, b)) in gates[candidate].iter_mut().zip(pre_candidate) {
            *gate = tanh(a + b);
        }
        let (i, rest) = gates.split_at(units);
        let (f, rest) = rest.split_at(units);
        let (g, o) = rest.split_at(units);
        let c_in = &state[units..];
        let (h_out, c_out) = next_state.split_at_mut(units);
        for k in 0..units {
            let c = f[k] * c_in[k] + i[k] * g[k];
            c_out[k] = c;
            tanh_c[k] = tanh(c);
            h_out[k] = o[k] * tanh_c[k];
        }
    }
}

/// The gradients of the projected inputs (steps·N, 4·units) and of the first
/// state (N, 2·units), from that of every step's state, last step first.
fn backward_through_time(saved: &Saved, grad: &FlexTensor) -> (FlexTensor, FlexTensor) {
    let units = saved.recurrent_kernel.layout().shape()[0];
    let n = saved.start.layout().shape()[0];
    let (grad, states, start) = (contiguous(grad), contiguous(&saved.states), contiguous(&saved.start));
    let steps = states.len() / (n * 2 * units);
    let mut d_pre = vec![0.0f32; steps * n * 4 * units];
    let recurrent_transposed = saved.recurrent_kernel.transpose(0, 1);
    let parts = batch_parts(n);
    let (grad, states, start, recurrent_transposed) =
        (&grad[..], &states[..], &start[..], &recurrent_transposed);
    let work = parts.iter().zip(per_part(&mut d_pre, n, 4 * units, &parts)).map(|(rows, mut d_pre)| {
        let rows = rows.clone();
        move || {
            // The gradient that reaches step t's state from step t + 1: [d_h | d_c].
            let mut d_state = vec![0.0f32; rows.len() * 2 * units];
            for step in (0..steps).rev() {
                let d_pre = &mut *d_pre[step];
                for ((batch_row, d_pre), d_state) in rows
                    .clone()
                    .zip(d_pre.chunks_exact_mut(4 * units))
                    .zip(d_state.chunks_exact_mut(2 * units))
                {
                    let row = step * n + batch_row;
                    let c_in = match step {
                        0 => &start[batch_row * 2 * units + units..(batch_row + 1) * 2 * units],
                        _ => &states[(row - n) * 2 * units + units..(row - n + 1) * 2 * units],
                    };
                    let gates = &saved.gates[row * 4 * units..(row + 1) * 4 * units];
                    let (i, rest) = gates.split_at(units);
                    let (f, rest) = rest.split_at(units);
                    let (g, o) = rest.split_at(units);
                    let (d_h_out, d_c_out) = grad[row * 2 * units..(row + 1) * 2 * units].split_at(units);
                    let tanh_c = &saved.tanh_c[row * units..(row + 1) * units];
                    let (d_h_next, d_c_next) = d_state.split_at_mut(units);
                    let (d_i, rest) = d_pre.split_at_mut(units);
                    let (d_f, rest) = rest.split_at_mut(units);
                    let (d_g, d_o) = rest.split_at_mut(units);
                    for k in 0..units {
                        let d_h = d_h_out[k] + d_h_next[k];
                        // c_t reaches the loss directly, through the next step, and through h_t = o·tanh(c_t).
                        let d_c = d_c_out[k] + d_c_next[k] + d_h * o[k] * (1.0 - tanh_c[k] * tanh_c[k]);
                        // σ' = σ(1 − σ), tanh' = 1 − tanh².
                        d_i[k] = d_c * g[k] * i[k] * (1.0 - i[k]);
                        d_f[k] = d_c * c_in[k] * f[k] * (1.0 - f[k]);
                        d_g[k] = d_c * i[k] * (1.0 - g[k] * g[k]);
                        d_o[k] = d_h * tanh_c[k] * o[k] * (1.0 - o[k]);
                        // What reaches c_{t−1}.
                        d_c_next[k] = d_c * f[k];
                    }
                }
                // What reaches h_{t−1}: d_pre_t · Uᵀ.
                let d_h_previous =
                    matmul(flex(d_pre.to_vec(), [rows.len(), 4 * units]), recurrent_transposed.clone());
                let d_h_previous = contiguous(&d_h_previous);
                for (d_state, d_h) in
                    d_state.chunks_exact_mut(2 * units).zip(d_h_previous.chunks_exact(units))
                {
                    d_state[..units].copy_from_slice(d_h);
                }
            }
            d_state
        }
    });
    let d_start = in_parallel(work.collect()).concat();
    (flex(d_pre, [steps * n, 4 * units]), flex(d_start, [n, 2 * units]))
}

/// Every step's h_{t−1}, (steps·N, units): the first state's h, then every step's but the last.
fn previous_hs(saved: &Saved) -> FlexTensor {
    let units = saved.recurrent_kernel.layout().shape()[0];
    let n = saved.start.layout().shape()[0];
    let (states, start) = (contiguous(&saved.states), contiguous(&saved.start));
    let rows = states.len() / (2 * units);
    let mut h_previous = Vec::with_capacity(rows * units);
    for row in start.chunks_exact(2 * units).chain(states.chunks_exact(2 * units).take(rows - n)) {
        h_previous.extend_from_slice(&row[..units]);
    }
    flex(h_previous, [rows, units])
}
