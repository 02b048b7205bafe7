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

/// σ(x) = 1 / (1 + e^(−x)): squashes any number into (0, 1), a probability
/// (Keras's `activation="sigmoid"`, PyTorch's `torch.sigmoid`).
///
/// ```
/// use fireside::prelude::*;
/// let x = Tensor::<1>::from_floats([0.0, 10.0], &device());
/// let y = sigmoid(x).values();
/// assert!((y[0] - 0.5).abs() < 1e-6 && y[1] > 0.999);
/// ```
pub fn sigmoid<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    activation::sigmoid(x)
}

/// σ'(x) = σ(x)(1 − σ(x)), for back-propagation by hand. It is at most 1/4,
/// one reason deep sigmoid networks learn slowly.
///
/// ```
/// use fireside::prelude::*;
/// let x = Tensor::<1>::from_floats([0.0], &device());
/// assert!((sigmoid_derivative(x).values()[0] - 0.25).abs() < 1e-6);
/// ```
pub fn sigmoid_derivative<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let s = sigmoid(x);
    s.clone() * (s.neg() + 1.0)
}

/// tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)): squashes into (−1, 1), centred
/// on 0 (Keras's `activation="tanh"`, PyTorch's `torch.tanh`).
///
/// ```
/// use fireside::prelude::*;
/// let x = Tensor::<1>::from_floats([0.0, 10.0], &device());
/// let y = tanh(x).values();
/// assert!(y[0].abs() < 1e-6 && y[1] > 0.999);
/// ```
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.tanh()
}

/// tanh'(x) = 1 − tanh²(x), for back-propagation by hand.
///
/// ```
/// use fireside::prelude::*;
/// let x = Tensor::<1>::from_floats([0.0], &device());
/// assert!((tanh_derivative(x).values()[0] - 1.0).abs() < 1e-6);
/// ```
pub fn tanh_derivative<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.tanh().square().neg() + 1.0
}

/// ReLU(x) = max(0, x): negatives become 0 (Keras's `activation="relu"`,
/// PyTorch's `torch.relu`).
///
/// ```
/// use fireside::prelude::*;
/// let x = Tensor::<1>::from_floats([-1.0, 0.0, 2.0], &device());
/// assert_eq!(relu(x).values(), vec![0.0, 0.0, 2.0]);
/// ```
pub fn relu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    activation::relu(x)
}

/// ReLU'(x) = 1 for x > 0, else 0 (the subgradient 0 at x = 0, as in PyTorch).
///
/// ```
/// use fireside::prelude::*;
/// let x = Tensor::<1>::from_floats([-1.0, 0.0, 2.0], &device());
/// assert_eq!(relu_derivative(x).values(), vec![0.0, 0.0, 1.0]);
/// ```
pub fn relu_derivative<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.greater_elem(0.0).float()
}

/// softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ), along the last dimension: turns scores
/// into probabilities that sum to 1 (Keras's `activation="softmax"`,
/// PyTorch's `torch.softmax(x, dim=-1)`).
///
/// ```
/// use fireside::prelude::*;
/// let scores = Tensor::<2>::from_floats([[1.0, 2.0, 3.0]], &device());
/// let p = softmax(scores).values();
/// assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5 && p[2] > p[1]);
/// ```
pub fn softmax<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    activation::softmax(x, D - 1)
}

/// The activation applied by a layer after its linear part.
///
/// ```
/// use fireside::prelude::*;
/// // Keras: Dense(10, activation="softmax")
/// let layer = Dense::new(10).activation(Activation::Softmax);
/// assert_eq!(Activation::default(), Activation::Linear);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Activation {
    /// No activation (Keras's `activation=None`, "linear").
    #[default]
    Linear,
    /// max(0, x): see [`relu`].
    Relu,
    /// 1 / (1 + e^(−x)): see [`sigmoid`].
    Sigmoid,
    /// tanh(x): see [`tanh`].
    Tanh,
    /// Softmax over the last dimension: the output is a probability per class.
    Softmax,
}

impl Activation {
    /// Applies the activation to `x`, element by element (softmax: along the
    /// last dimension).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let x = Tensor::<1>::from_floats([-1.0, 2.0], &device());
    /// assert_eq!(Activation::Relu.apply(x).values(), vec![0.0, 2.0]);
    /// ```
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
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Activation::Relu.name(), "relu");
    /// ```
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
