//! Adam's update of one parameter as a single pass over its values:
//!
//! ```text
//! m = β₁·m + (1 − β₁)·g          v = β₂·v + (1 − β₂)·g²
//! w = w − lr · m·√(1 − β₂ᵗ)/(1 − β₁ᵗ) / (√v + ε·√(1 − β₂ᵗ))
//! ```
//!
//! burn's Adam (the same formula) takes about ten tensor operations a
//! parameter, each a pass over memory and a new buffer: a third of the MLP's
//! step and the whole of the embedding's 640,000 weights in the LSTM's, on
//! flex (BENCHMARKS.md, "CPU training"). [`FusedAdam`] is burn's `Optimizer`
//! with burn's state (`AdamState`), so that checkpoints and the rest of burn
//! see plain Adam; it takes burn's path wherever the fused one cannot run.

use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, Optimizer};
use burn::tensor::{Device, Tensor};
use rayon::iter::{IntoParallelIterator, ParallelIterator};
use rayon::slice::{ParallelSlice, ParallelSliceMut};

use super::matrix::{contiguous, vectorized};

/// One update's constants: the learning rate, Adam's β₁, β₂ and ε, and the
/// step number t (1 for the first update).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep {
    /// The learning rate.
    pub learning_rate: f32,
    /// Decay of the gradients' mean.
    pub beta_1: f32,
    /// Decay of the squared gradients' mean.
    pub beta_2: f32,
    /// Added to √v, against division by zero.
    pub epsilon: f32,
    /// The step number, from 1.
    pub time: i32,
}

/// The backends that have the fused Adam update: flex, and flex with
/// autodiff (the update is not tracked: it is no part of any loss).
#[backend_extension(Flex, Autodiff)]
pub trait AdamStepBackend: Backend {
    /// The parameter, its gradient and Adam's two moments → the updated
    /// parameter and moments, all of one shape.
    fn adam_step(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        step: AdamStep,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

/// One Adam update of `param` from its gradient and moments: the new
/// parameter, first and second moments. Only where
/// [`available`](super::available) says so.
///
/// ```
/// use fireside::prelude::*;
/// use fireside::fused::AdamStep;
/// let device = device();
/// let (w, g) = (Tensor::<1>::from_floats([1.0, 1.0], &device), Tensor::<1>::from_floats([0.5, -2.0], &device));
/// if fireside::fused::available(&w) {
///     let step = AdamStep { learning_rate: 0.1, beta_1: 0.9, beta_2: 0.999, epsilon: 0.0, time: 1 };
///     let (w, _, _) = fireside::fused::adam_step(w, g.clone(), g.zeros_like(), g.zeros_like(), step);
///     // Adam's first step moves every weight by the learning rate, against its gradient's sign.
///     assert!((w.values()[0] - 0.9).abs() < 1e-6 && (w.values()[1] - 1.1).abs() < 1e-6);
/// }
/// ```
pub fn adam_step<const D: usize>(
    param: Tensor<D>,
    grad: Tensor<D>,
    moment_1: Tensor<D>,
    moment_2: Tensor<D>,
    step: AdamStep,
) -> (Tensor<D>, Tensor<D>, Tensor<D>) {
    let shape = param.dims();
    assert!(
        grad.dims() == shape && moment_1.dims() == shape && moment_2.dims() == shape && step.time >= 1,
        "an Adam step takes a parameter, its gradient and two moments of one shape and a step \
         number from 1; got {shape:?}, {:?}, {:?}, {:?} and step {}",
        grad.dims(),
        moment_1.dims(),
        moment_2.dims(),
        step.time
    );
    let (param, moment_1, moment_2) = <Dispatch as AdamStepBackend>::adam_step(
        param.into_dispatch(),
        grad.into_dispatch(),
        moment_1.into_dispatch(),
        moment_2.into_dispatch(),
        step,
    );
    (Tensor::from_dispatch(param), Tensor::from_dispatch(moment_1), Tensor::from_dispatch(moment_2))
}

impl AdamStepBackend for Flex {
    fn adam_step(
        param: FlexTensor,
        grad: FlexTensor,
        moment_1: FlexTensor,
        moment_2: FlexTensor,
        step: AdamStep,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        // In place: the optimizer hands over the only reference to the
        // parameter and the moments (else `storage_mut` copies first).
        let (mut param, mut moment_1, mut moment_2) = (whole(param), whole(moment_1), whole(moment_2));
        let grad = contiguous(&grad);
        let bias_2 = (1.0 - step.beta_2.powi(step.time)).sqrt();
        let constants = Constants {
            beta_1: step.beta_1,
            beta_2: step.beta_2,
            scale: step.learning_rate * bias_2 / (1.0 - step.beta_1.powi(step.time)),
            epsilon: step.epsilon * bias_2,
        };
        let (w, m, v) =
            (param.storage_mut::<f32>(), moment_1.storage_mut::<f32>(), moment_2.storage_mut::<f32>());
        // Chunks big enough that a hand-off to another core pays (the LSTM's
        // embedding is 640,000 values; most biases are a few dozen).
        const CHUNK: usize = 1 << 15;
        if w.len() <= CHUNK {
            update(&grad, w, m, v, constants);
        } else {
            (
                w.par_chunks_mut(CHUNK),
                m.par_chunks_mut(CHUNK),
                v.par_chunks_mut(CHUNK),
                grad.par_chunks(CHUNK),
            )
                .into_par_iter()
                .for_each(|(w, m, v, g)| update(g, w, m, v, constants));
        }
        (param, moment_1, moment_2)
    }
}

impl<C: CheckpointStrategy> AdamStepBackend for Autodiff<Flex, C> {
    fn adam_step(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        step: AdamStep,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let (param, moment_1, moment_2) = Flex::adam_step(
            Self::inner(param),
            Self::inner(grad),
            Self::inner(moment_1),
            Self::inner(moment_2),
            step,
        );
        (Self::from_inner(param), Self::from_inner(moment_1), Self::from_inner(moment_2))
    }
}

/// The tensor with its values contiguous and filling its whole buffer, so
/// that its storage is its values in order.
fn whole(tensor: FlexTensor) -> FlexTensor {
    let fills = tensor.as_slice::<f32>().is_some_and(|values| values.len() == tensor.storage::<f32>().len());
    if fills { tensor } else { tensor.to_contiguous() }
}

/// The update's constants, the bias corrections folded in.
#[derive(Clone, Copy)]
struct Constants {
    beta_1: f32,
    beta_2: f32,
    /// lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)
    scale: f32,
    /// ε·√(1 − β₂ᵗ)
    epsilon: f32,
}

vectorized! {
    /// See [`update_loop`].
    fn update(grad: &[f32], param: &mut [f32], moment_1: &mut [f32], moment_2: &mut [f32], c: Constants) => update_loop
}

/// The update of a run of values, in place.
#[inline(always)]
fn update_loop(grad: &[f32], param: &mut [f32], moment_1: &mut [f32], moment_2: &mut [f32], c: Constants) {
    let n = grad.len().min(param.len()).min(moment_1.len()).min(moment_2.len());
    let (g, w, m, v) = (&grad[..n], &mut param[..n], &mut moment_1[..n], &mut moment_2[..n]);
    for i in 0..n {
        m[i] = c.beta_1 * m[i] + (1.0 - c.beta_1) * g[i];
        v[i] = c.beta_2 * v[i] + (1.0 - c.beta_2) * g[i] * g[i];
        w[i] -= c.scale * m[i] / (v[i].sqrt() + c.epsilon);
    }
}

/// Adam as burn's `Optimizer`, with burn's state, taking the fused update
/// on flex and burn's own Adam elsewhere (wgpu).
#[derive(Clone)]
pub struct FusedAdam {
    general: Adam,
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
}

impl FusedAdam {
    /// Adam with these constants (no weight decay: burn's Adam has it).
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Self {
        let general = AdamConfig::new().with_beta_1(beta_1).with_beta_2(beta_2).with_epsilon(epsilon).build();
        FusedAdam { general, beta_1, beta_2, epsilon }
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        let plain = state.as_ref().is_none_or(|state| state.momentum.max_moment_2.is_none());
        if !(plain && super::available(&tensor) && super::available(&grad)) {
            return self.general.step(lr, tensor, grad, state);
        }
        let (moment_1, moment_2, time) = match state {
            Some(state) => (state.momentum.moment_1, state.momentum.moment_2, state.momentum.time + 1),
            None => (grad.zeros_like(), grad.zeros_like(), 1),
        };
        let step = AdamStep {
            learning_rate: lr as f32,
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            epsilon: self.epsilon,
            time: time as i32,
        };
        let (tensor, moment_1, moment_2) = adam_step(tensor, grad, moment_1, moment_2, step);
        (tensor, Some(AdamState::new(AdaptiveMomentumState::new(time, moment_1, moment_2))))
    }

    fn to_device<const D: usize>(state: AdamState<D>, device: &Device) -> AdamState<D> {
        Adam::to_device(state, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use burn::optim::{GradientsParams, ModuleOptimizer};

    #[test]
    fn the_fused_update_follows_burns_adam() {
        let device = crate::device::device();
        // 70,000 weights: more than one chunk, and a last chunk that is not full.
        let layer = Dense::new(700).build(100, &device);
        let x = Tensor::<2>::random([8, 100], Distribution::Normal(0.0, 1.0), &device);
        if !crate::fused::available(&x) {
            return; // the fused update runs on flex, the tests' backend on a machine without a GPU
        }
        let (beta_1, beta_2, epsilon) = (0.9, 0.999, 1e-7);
        let mut general: ModuleOptimizer =
            AdamConfig::new().with_beta_1(beta_1).with_beta_2(beta_2).with_epsilon(epsilon).init();
        let mut fused = ModuleOptimizer::from(FusedAdam::new(beta_1, beta_2, epsilon));
        let (mut a, mut b) = (layer.clone(), layer);
        for step in 0..4 {
            // A loss whose gradient changes from step to step, so that both moments count.
            let loss = |layer: &crate::layers::DenseLayer| {
                (layer.forward(x.clone()) * (step + 1) as f32).powf_scalar(2.0).mean()
            };
            let grads = GradientsParams::from_grads(loss(&a).backward(), &a);
            a = general.step(0.01, a, grads);
            let grads = GradientsParams::from_grads(loss(&b).backward(), &b);
            b = fused.step(0.01, b, grads);
            let (wa, wb) = (a.linear.weight.val().values(), b.linear.weight.val().values());
            for (i, (x, y)) in wa.iter().zip(&wb).enumerate() {
                assert!(
                    (x - y).abs() <= 1e-5 * (1.0 + x.abs()),
                    "step {step}, weight {i}: burn {x}, fused {y}"
                );
            }
        }
    }
}
