//! Keras's kernel regularizers: a penalty on the size of a layer's weights,
//! added to the loss, that fights overfitting.

use burn::tensor::Tensor;

/// `L1(λ)` adds λ·Σ|w|, `L2(λ)` adds λ·Σw² (Keras's `l1`, `l2`).
///
/// ```no_run
/// use fireside::prelude::*;
/// let layer = Dense::new(64).activation(Activation::Relu).regularizer(Regularizer::L2(1e-4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Regularizer {
    L1(f32),
    L2(f32),
    L1L2(f32, f32),
}

impl Regularizer {
    pub fn penalty<const D: usize>(&self, weights: Tensor<D>) -> Tensor<1> {
        match *self {
            Regularizer::L1(l1) => weights.abs().sum() * l1,
            Regularizer::L2(l2) => weights.square().sum() * l2,
            Regularizer::L1L2(l1, l2) => weights.clone().abs().sum() * l1 + weights.square().sum() * l2,
        }
    }
}
