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
pub const EPSILON: f32 = 1e-7;

/// Mean squared error: (1/n) Σ (ŷ − y)²  (seed A 3.1.2, Keras's `mse`).
pub fn mse<const D: usize>(predictions: Tensor<D>, targets: Tensor<D>) -> Tensor<1> {
    (predictions - targets).square().mean()
}

/// Half mean squared error: (1/2n) Σ (ŷ − y)², whose gradient is (ŷ − y)/n (seed B 3).
pub fn half_mse<const D: usize>(predictions: Tensor<D>, targets: Tensor<D>) -> Tensor<1> {
    mse(predictions, targets) / 2.0
}

/// Binary cross-entropy on probabilities p ∈ (0, 1):
/// −(1/n) Σ [y ln p + (1 − y) ln(1 − p)]  (seed A 3.1.2, Keras's `binary_crossentropy`).
pub fn binary_cross_entropy<const D: usize>(probabilities: Tensor<D>, targets: Tensor<D>) -> Tensor<1> {
    let p = probabilities.clamp(EPSILON, 1.0 - EPSILON);
    let positive = targets.clone() * p.clone().log();
    let negative = (targets.neg() + 1.0) * (p.neg() + 1.0).log();
    (positive + negative).mean().neg()
}

/// Binary cross-entropy on logits z (PyTorch's `BCEWithLogitsLoss`), computed
/// stably as max(z, 0) − z·y + ln(1 + e^(−|z|)).
pub fn binary_cross_entropy_with_logits<const D: usize>(logits: Tensor<D>, targets: Tensor<D>) -> Tensor<1> {
    let positive_part = logits.clone().clamp_min(0.0);
    let softplus = (logits.clone().abs().neg().exp() + 1.0).log();
    (positive_part - logits * targets + softplus).mean()
}

/// Categorical cross-entropy on probabilities with one-hot targets:
/// −(1/n) Σᵢ Σ_c yᵢ꜀ ln pᵢ꜀  (seed C 4.2, Keras's `categorical_crossentropy`).
pub fn categorical_cross_entropy(probabilities: Tensor<2>, one_hot: Tensor<2>) -> Tensor<1> {
    let log_p = probabilities.clamp(EPSILON, 1.0 - EPSILON).log();
    (one_hot * log_p).sum_dim(1).mean().neg()
}

/// Categorical cross-entropy on logits with one-hot targets (softmax inside).
pub fn categorical_cross_entropy_with_logits(logits: Tensor<2>, one_hot: Tensor<2>) -> Tensor<1> {
    (one_hot * activation::log_softmax(logits, 1)).sum_dim(1).mean().neg()
}

/// Sparse categorical cross-entropy on probabilities with class indices:
/// −(1/n) Σᵢ ln pᵢ,yᵢ  (seed A 4.1, Keras's `sparse_categorical_crossentropy`).
pub fn sparse_categorical_cross_entropy(probabilities: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<1> {
    let picked = probabilities.gather(1, classes.unsqueeze_dim(1));
    picked.clamp(EPSILON, 1.0).log().mean().neg()
}

/// Sparse categorical cross-entropy on logits with class indices
/// (PyTorch's `CrossEntropyLoss`, `from_logits=True` in Keras).
pub fn sparse_categorical_cross_entropy_with_logits(logits: Tensor<2>, classes: Tensor<1, Int>) -> Tensor<1> {
    activation::log_softmax(logits, 1).gather(1, classes.unsqueeze_dim(1)).mean().neg()
}

/// The loss a model trains with; `from_logits` says whether the model's
/// outputs are logits (no final softmax/sigmoid) or probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    /// (1/n) Σ (ŷ − y)²
    MeanSquaredError,
    /// (1/2n) Σ (ŷ − y)²
    HalfMeanSquaredError,
    BinaryCrossEntropy {
        from_logits: bool,
    },
    /// One-hot targets.
    CategoricalCrossEntropy {
        from_logits: bool,
    },
    /// Class-index targets.
    SparseCategoricalCrossEntropy {
        from_logits: bool,
    },
}

impl Loss {
    /// Keras's name.
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
