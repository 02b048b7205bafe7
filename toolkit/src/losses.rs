//! Loss functions with the names Keras and PyTorch users know, written out
//! from their formulas (n examples, C classes, ŷ predictions, y targets).
//!
//! ```no_run
//! use fireside::prelude::*;
//! let d = device();
//! let probabilities = Tensor::<2>::from_floats([[0.7, 0.2, 0.1]], &d);
//! let classes = Tensor::<1, Int>::from_ints([0], &d);
//! let loss = losses::sparse_categorical_cross_entropy(probabilities, classes);  // −ln 0.7
//! ```

use burn::tensor::{Int, Tensor, activation};

/// Probabilities are clipped to [ε, 1 − ε] before a logarithm, as Keras does.
/// A sure but wrong prediction then costs about −ln ε ≈ 16 instead of infinity.
///
/// ```
/// use fireside::prelude::*;
/// let (p, y) = (Tensor::<1>::from_floats([1.0], &device()), Tensor::<1>::from_floats([0.0], &device()));
/// let loss: f32 = losses::binary_cross_entropy(p, y).into_scalar();
/// assert!(loss.is_finite() && loss > 15.0 && losses::EPSILON == 1e-7);
/// ```
pub const EPSILON: f32 = 1e-7;

/// Mean squared error: (1/n) Σ (ŷ − y)²  (seed A 3.1.2, Keras's `mse`).
/// PyTorch: `nn.MSELoss()`.
///
/// ```
/// use fireside::prelude::*;
/// let predictions = Tensor::<1>::from_floats([1.0, 3.0], &device());
/// let targets = Tensor::<1>::from_floats([1.0, 1.0], &device());
/// assert_eq!(losses::mse(predictions, targets).into_scalar::<f32>(), 2.0);   // (0² + 2²) / 2
/// ```
pub fn mse<const D: usize>(predictions: Tensor<D>, targets: Tensor<D>) -> Tensor<1> {
    (predictions - targets).square().mean()
}

/// Half mean squared error: (1/2n) Σ (ŷ − y)², whose gradient is (ŷ − y)/n (seed B 3).
///
/// ```
/// use fireside::prelude::*;
/// let predictions = Tensor::<1>::from_floats([1.0, 3.0], &device());
/// let targets = Tensor::<1>::from_floats([1.0, 1.0], &device());
/// assert_eq!(losses::half_mse(predictions, targets).into_scalar::<f32>(), 1.0);   // (0² + 2²) / 4
/// ```
pub fn half_mse<const D: usize>(predictions: Tensor<D>, targets: Tensor<D>) -> Tensor<1> {
    mse(predictions, targets) / 2.0
}

/// Binary cross-entropy on probabilities p ∈ (0, 1):
/// −(1/n) Σ [y ln p + (1 − y) ln(1 − p)]  (seed A 3.1.2, Keras's `binary_crossentropy`).
/// PyTorch: `nn.BCELoss()`.
///
/// ```
/// use fireside::prelude::*;
/// let probabilities = Tensor::<1>::from_floats([0.9, 0.2], &device());
/// let targets = Tensor::<1>::from_floats([1.0, 0.0], &device());
/// let loss: f32 = losses::binary_cross_entropy(probabilities, targets).into_scalar();
/// assert!((loss - -(0.9f32.ln() + 0.8f32.ln()) / 2.0).abs() < 1e-6);
/// ```
pub fn binary_cross_entropy<const D: usize>(probabilities: Tensor<D>, targets: Tensor<D>) -> Tensor<1> {
    let p = probabilities.clamp(EPSILON, 1.0 - EPSILON);
    let positive = targets.clone() * p.clone().log();
    let negative = (targets.neg() + 1.0) * (p.neg() + 1.0).log();
    (positive + negative).mean().neg()
}

/// Binary cross-entropy on logits z (PyTorch's `BCEWithLogitsLoss`), computed
/// stably as max(z, 0) − z·y + ln(1 + e^(−|z|)). Keras: `from_logits=True`.
///
/// ```
/// use fireside::prelude::*;
/// // A logit of 0 is a probability of 1/2: the loss is ln 2 whatever the target.
/// let logits = Tensor::<1>::from_floats([0.0, 0.0], &device());
/// let targets = Tensor::<1>::from_floats([1.0, 0.0], &device());
/// let loss: f32 = losses::binary_cross_entropy_with_logits(logits, targets).into_scalar();
/// assert!((loss - 2f32.ln()).abs() < 1e-6);
/// ```
pub fn binary_cross_entropy_with_logits<const D: usize>(logits: Tensor<D>, targets: Tensor<D>) -> Tensor<1> {
    let positive_part = logits.clone().clamp_min(0.0);
    let softplus = (logits.clone().abs().neg().exp() + 1.0).log();
    (positive_part - logits * targets + softplus).mean()
}

/// Categorical cross-entropy on probabilities with one-hot targets:
/// −(1/n) Σᵢ Σ_c yᵢ꜀ ln pᵢ꜀  (seed C 4.2, Keras's `categorical_crossentropy`).
///
/// ```
/// use fireside::prelude::*;
/// let probabilities = Tensor::<2>::from_floats([[0.7, 0.2, 0.1]], &device());
/// let one_hot = Tensor::<2>::from_floats([[1.0, 0.0, 0.0]], &device());
/// let loss: f32 = losses::categorical_cross_entropy(probabilities, one_hot).into_scalar();
/// assert!((loss - -(0.7f32.ln())).abs() < 1e-6);
/// ```
pub fn categorical_cross_entropy(probabilities: Tensor<2>, one_hot: Tensor<2>) -> Tensor<1> {
    let log_p = probabilities.clamp(EPSILON, 1.0 - EPSILON).log();
    (one_hot * log_p).sum_dim(1).mean().neg()
}

/// Categorical cross-entropy on logits with one-hot targets (softmax inside;
/// Keras's `from_logits=True`, PyTorch's `CrossEntropyLoss` with probability targets).
///
/// ```
/// use fireside::prelude::*;
/// // Equal logits: every class has probability 1/3, the loss is ln 3.
/// let logits = Tensor::<2>::from_floats([[2.0, 2.0, 2.0]], &device());
/// let one_hot = Tensor::<2>::from_floats([[0.0, 1.0, 0.0]], &device());
/// let loss: f32 = losses::categorical_cross_entropy_with_logits(logits, one_hot).into_scalar();
/// assert!((loss - 3f32.ln()).abs() < 1e-6);
/// ```
pub fn categorical_cross_entropy_with_logits(logits: Tensor<2>, one_hot: Tensor<2>) -> Tensor<1> {
    (one_hot * activation::log_softmax(logits, 1)).sum_dim(1).mean().neg()
}

/// Sparse categorical cross-entropy on probabilities with class indices:
/// −(1/n) Σᵢ ln pᵢ,yᵢ  (seed A 4.1, Keras's `sparse_categorical_crossentropy`).
/// PyTorch: `nn.NLLLoss()` on the logarithm of the probabilities.
///
/// ```
/// use fireside::prelude::*;
/// let probabilities = Tensor::<2>::from_floats([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], &device());
/// let classes = Tensor::<1, Int>::from_ints([0, 1], &device());
/// let loss: f32 = losses::sparse_categorical_cross_entropy(probabilities, classes).into_scalar();
/// assert!((loss - -(0.7f32.ln() + 0.8f32.ln()) / 2.0).abs() < 1e-6);
/// ```
pub fn sparse_categorical_cross_entropy(probabilities: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<1> {
    let picked = probabilities.gather(1, classes.unsqueeze_dim(1));
    picked.clamp(EPSILON, 1.0).log().mean().neg()
}

/// Sparse categorical cross-entropy on logits with class indices
/// (PyTorch's `CrossEntropyLoss`, `from_logits=True` in Keras).
///
/// ```
/// use fireside::prelude::*;
/// // Equal logits: every class has probability 1/3, the loss is ln 3.
/// let logits = Tensor::<2>::from_floats([[2.0, 2.0, 2.0]], &device());
/// let classes = Tensor::<1, Int>::from_ints([1], &device());
/// let loss: f32 = losses::sparse_categorical_cross_entropy_with_logits(logits, classes).into_scalar();
/// assert!((loss - 3f32.ln()).abs() < 1e-6);
/// ```
pub fn sparse_categorical_cross_entropy_with_logits(logits: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<1> {
    activation::log_softmax(logits, 1).gather(1, classes.unsqueeze_dim(1)).mean().neg()
}

/// The loss a model trains with; `from_logits` says whether the model's
/// outputs are logits (no final softmax/sigmoid) or probabilities.
///
/// ```
/// use fireside::prelude::*;
/// // Keras: loss="sparse_categorical_crossentropy", after a softmax layer.
/// let loss = Loss::SparseCategoricalCrossEntropy { from_logits: false };
/// assert_eq!(loss.name(), "sparse_categorical_crossentropy");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    /// (1/n) Σ (ŷ − y)²
    MeanSquaredError,
    /// (1/2n) Σ (ŷ − y)²
    HalfMeanSquaredError,
    /// Targets 0 or 1, one output column.
    BinaryCrossEntropy { from_logits: bool },
    /// One-hot targets.
    CategoricalCrossEntropy { from_logits: bool },
    /// Class-index targets.
    SparseCategoricalCrossEntropy { from_logits: bool },
}

impl Loss {
    /// Keras's name.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Loss::MeanSquaredError.name(), "mse");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Loss::MeanSquaredError => "mse",
            Loss::HalfMeanSquaredError => "half_mse",
            Loss::BinaryCrossEntropy { .. } => "binary_crossentropy",
            Loss::CategoricalCrossEntropy { .. } => "categorical_crossentropy",
            Loss::SparseCategoricalCrossEntropy { .. } => "sparse_categorical_crossentropy",
        }
    }
}
