//! One LSTM step after its matrix products, as a single operation:
//!
//! ```text
//! [a_i a_f a_c a_o] = x_t W + h_{t−1} U + b          (done outside, by burn)
//! i = σ(a_i)   f = σ(a_f)   g = tanh(a_c)   o = σ(a_o)
//! c_t = f ⊙ c_{t−1} + i ⊙ g
//! h_t = o ⊙ tanh(c_t)
//! ```
//!
//! Written as burn operations this is about fifteen passes over memory and as
//! many autodiff nodes per step, and autodiff computes σ and tanh again in the
//! backward pass. Here the forward pass is one loop that keeps i, f, g, o and
//! tanh(c_t), and the backward pass is one loop that uses them.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{Tensor, TensorData};

use super::{sigmoid, tanh};

/// The backends that have the fused LSTM cell: flex, with or without autodiff.
#[backend_extension(Flex, Autodiff)]
pub trait LstmCellBackend: Backend {
    /// Pre-activations (N, 4·units) in Keras's block order i, f, c, o, and
    /// c_{t−1} (N, units) → [h_t | c_t] (N, 2·units).
    fn lstm_cell(pre_activations: FloatTensor<Self>, c: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// One LSTM step: (h_t, c_t) from the pre-activations (N, 4·units) and
/// c_{t−1} (N, units). Only where [`available`](super::available) says so.
///
/// ```
/// use fireside::prelude::*;
/// let device = device();
/// let pre = Tensor::<2>::zeros([1, 8], &device);
/// let c = Tensor::<2>::ones([1, 2], &device);
/// if fireside::fused::available(&pre) {
///     let (h, c) = fireside::fused::lstm_cell(pre, c);
///     // Every gate is σ(0) = 0.5 and the candidate tanh(0) = 0: c = 0.5·1, h = 0.5·tanh(0.5).
///     assert_eq!(c.values(), [0.5, 0.5]);
///     assert!((h.values()[0] - 0.5 * 0.5f32.tanh()).abs() < 1e-6);
/// }
/// ```
pub fn lstm_cell(pre_activations: Tensor<2>, c: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
    let [n, units] = c.dims();
    assert_eq!(
        pre_activations.dims(),
        [n, 4 * units],
        "the LSTM cell takes (N, 4·units) pre-activations for a (N, units) cell state"
    );
    let both = Tensor::<2>::from_dispatch(<Dispatch as LstmCellBackend>::lstm_cell(
        pre_activations.into_dispatch(),
        c.into_dispatch(),
    ));
    (both.clone().narrow(1, 0, units), both.narrow(1, units, units))
}

impl LstmCellBackend for Flex {
    fn lstm_cell(pre_activations: FlexTensor, c: FlexTensor) -> FlexTensor {
        forward(&pre_activations, &c).0
    }
}

/// What the backward pass reads: the activated gates [i f g o] (N, 4·units),
/// c_{t−1} and tanh(c_t) (N, units).
#[derive(Clone, Debug)]
struct Saved {
    gates: Vec<f32>,
    c_previous: FlexTensor,
    tanh_c: Vec<f32>,
}

#[derive(Debug)]
struct LstmCellBackward;

impl Backward<Flex, 2> for LstmCellBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 2>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let (d_pre_activations, d_c_previous) = backward(&ops.state, &grad);
        let [pre_activations, c_previous] = ops.parents;
        if let Some(node) = pre_activations {
            grads.register::<Flex>(node.id, d_pre_activations);
        }
        if let Some(node) = c_previous {
            grads.register::<Flex>(node.id, d_c_previous);
        }
    }
}

impl<C: CheckpointStrategy> LstmCellBackend for Autodiff<Flex, C> {
    fn lstm_cell(pre_activations: FloatTensor<Self>, c: FloatTensor<Self>) -> FloatTensor<Self> {
        // Compute-bound: its state is kept rather than the step being run again.
        let prep = LstmCellBackward.prepare::<C>([pre_activations.node(), c.node()]).compute_bound().stateful();
        let pre_activations = Self::inner(pre_activations);
        let c = Self::inner(c);
        match prep {
            OpsKind::Tracked(prep) => {
                let (output, saved) = forward(&pre_activations, &c);
                prep.finish(saved, output)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(&pre_activations, &c).0),
        }
    }
}

/// A contiguous `f32` copy-free view of a flex tensor, or a contiguous copy.
fn contiguous(tensor: &FlexTensor) -> std::borrow::Cow<'_, [f32]> {
    match tensor.as_slice::<f32>() {
        Some(values) => values.into(),
        None => tensor.to_contiguous().storage::<f32>().to_vec().into(),
    }
}

fn flex(values: Vec<f32>, shape: [usize; 2]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// [h | c] (N, 2·units) and what the backward pass needs.
fn forward(pre_activations: &FlexTensor, c_previous: &FlexTensor) -> (FlexTensor, Saved) {
    let pre = contiguous(pre_activations);
    let c_in = contiguous(c_previous);
    let units = c_previous.layout().shape()[1];
    let n = c_in.len() / units;
    let mut gates = vec![0.0f32; n * 4 * units];
    let mut tanh_c = vec![0.0f32; n * units];
    let mut output = vec![0.0f32; n * 2 * units];
    for (row, gates) in gates.chunks_exact_mut(4 * units).enumerate() {
        let pre = &pre[row * 4 * units..(row + 1) * 4 * units];
        // σ over all four blocks, then tanh over the candidate's: two plain loops that vectorize.
        for (gate, a) in gates.iter_mut().zip(pre) {
            *gate = sigmoid(*a);
        }
        let candidate = 2 * units..3 * units;
        for (gate, a) in gates[candidate.clone()].iter_mut().zip(&pre[candidate]) {
            *gate = tanh(*a);
        }
        let (i, rest) = gates.split_at(units);
        let (f, rest) = rest.split_at(units);
        let (g, o) = rest.split_at(units);
        let c_in = &c_in[row * units..(row + 1) * units];
        let (h_out, c_out) = output[row * 2 * units..(row + 1) * 2 * units].split_at_mut(units);
        let tanh_c = &mut tanh_c[row * units..(row + 1) * units];
        for k in 0..units {
            let c = f[k] * c_in[k] + i[k] * g[k];
            c_out[k] = c;
            tanh_c[k] = tanh(c);
            h_out[k] = o[k] * tanh_c[k];
        }
    }
    let saved = Saved { gates, c_previous: c_previous.clone(), tanh_c };
    (flex(output, [n, 2 * units]), saved)
}

/// From the gradient of [h | c] to those of the pre-activations and c_{t−1}.
fn backward(saved: &Saved, grad: &FlexTensor) -> (FlexTensor, FlexTensor) {
    let grad = contiguous(grad);
    let c_in = contiguous(&saved.c_previous);
    let units = saved.c_previous.layout().shape()[1];
    let n = c_in.len() / units;
    let mut d_pre = vec![0.0f32; n * 4 * units];
    let mut d_c_in = vec![0.0f32; n * units];
    for (row, d_pre) in d_pre.chunks_exact_mut(4 * units).enumerate() {
        let gates = &saved.gates[row * 4 * units..(row + 1) * 4 * units];
        let (i, rest) = gates.split_at(units);
        let (f, rest) = rest.split_at(units);
        let (g, o) = rest.split_at(units);
        let (d_h, d_c_out) = grad[row * 2 * units..(row + 1) * 2 * units].split_at(units);
        let tanh_c = &saved.tanh_c[row * units..(row + 1) * units];
        let c_in = &c_in[row * units..(row + 1) * units];
        let d_c_in = &mut d_c_in[row * units..(row + 1) * units];
        let (d_i, rest) = d_pre.split_at_mut(units);
        let (d_f, rest) = rest.split_at_mut(units);
        let (d_g, d_o) = rest.split_at_mut(units);
        for k in 0..units {
            // c_t reaches the loss directly and through h_t = o·tanh(c_t).
            let d_c = d_c_out[k] + d_h[k] * o[k] * (1.0 - tanh_c[k] * tanh_c[k]);
            // σ' = σ(1 − σ), tanh' = 1 − tanh².
            d_i[k] = d_c * g[k] * i[k] * (1.0 - i[k]);
            d_f[k] = d_c * c_in[k] * f[k] * (1.0 - f[k]);
            d_g[k] = d_c * i[k] * (1.0 - g[k] * g[k]);
            d_o[k] = d_h[k] * tanh_c[k] * o[k] * (1.0 - o[k]);
            d_c_in[k] = d_c * f[k];
        }
    }
    (flex(d_pre, [n, 4 * units]), flex(d_c_in, [n, units]))
}
