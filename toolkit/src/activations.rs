//! Activation functions and their derivatives, as tensor functions and as
//! the `activation` argument of layers (Keras's `activation="relu"`).
//!
//! ```no_run
//! use fireside::prelude::*;
//! let x = Tensor::<1>::from_floats([-1.0, 0.0, 2.0], &device());
//! let y = relu(x.clone());            // [0, 0, 2]
//! let dy = relu_derivative(x);        // [0, 0, 1]
//! ```

use burn::tensor::{Tensor, activation};

/// σ(x) = 1 / (1 + e^(−x)).
pub fn sigmoid<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    activation::sigmoid(x)
}

/// σ'(x) = σ(x)(1 − σ(x)).
pub fn sigmoid_derivative<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let s = sigmoid(x);
    s.clone() * (s.neg() + 1.0)
}

/// tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)).
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.tanh()
}

/// tanh'(x) = 1 − tanh²(x).
pub fn tanh_derivative<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.tanh().square().neg() + 1.0
}

/// ReLU(x) = max(0, x).
pub fn relu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    activation::relu(x)
}

/// ReLU'(x) = 1 for x > 0, else 0 (the subgradient 0 at x = 0, as in PyTorch).
pub fn relu_derivative<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.greater_elem(0.0).float()
}

/// softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ), along the last dimension.
pub fn softmax<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    activation::softmax(x, D - 1)
}

/// The activation applied by a layer after its linear part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Activation {
    /// No activation (Keras's `activation=None`, "linear").
    #[default]
    Linear,
    Relu,
    Sigmoid,
    Tanh,
    /// Softmax over the last dimension: the output is a probability per class.
    Softmax,
}

impl Activation {
    pub fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Linear => x,
            Activation::Relu => relu(x),
            Activation::Sigmoid => sigmoid(x),
            Activation::Tanh => tanh(x),
            Activation::Softmax => softmax(x),
        }
    }

    /// The name Keras uses.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
        }
    }
}
