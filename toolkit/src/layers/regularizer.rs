//! Keras's kernel regularizers: a penalty on the size of a layer's weights,
//! added to the loss, that fights overfitting.
//!
//! ```
//! use fireside::prelude::*;
//! let model = Sequential::with_input([784]).add(Dense::new(16).regularizer(Regularizer::L2(1e-3)))?;
//! assert!(model.penalty().is_some());   // `fit` adds it to the loss
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use burn::tensor::Tensor;

/// `L1(λ)` adds λ·Σ|w|, `L2(λ)` adds λ·Σw² (Keras's `l1`, `l2`).
///
/// ```no_run
/// use fireside::prelude::*;
/// let layer = Dense::new(64).activation(Activation::Relu).regularizer(Regularizer::L2(1e-4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Regularizer {
    /// λ·Σ|w|: pushes weights to exactly zero (sparse weights).
    L1(f32),
    /// λ·Σw²: keeps weights small (weight decay).
    L2(f32),
    /// Both: `L1L2(λ1, λ2)` adds λ1·Σ|w| + λ2·Σw².
    L1L2(f32, f32),
}

impl Regularizer {
    /// The penalty on `weights`, a one-element tensor to add to the loss.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let weights = Tensor::<2>::from_floats([[1.0, -2.0]], &device());
    /// assert_eq!(Regularizer::L1(0.5).penalty(weights.clone()).values(), vec![1.5]);
    /// assert_eq!(Regularizer::L2(0.5).penalty(weights).values(), vec![2.5]);
    /// ```
    pub fn penalty<const D: usize>(&self, weights: Tensor<D>) -> Tensor<1> {
        match *self {
            Regularizer::L1(l1) => weights.abs().sum() * l1,
            Regularizer::L2(l2) => weights.square().sum() * l2,
            Regularizer::L1L2(l1, l2) => weights.clone().abs().sum() * l1 + weights.square().sum() * l2,
        }
    }
}
