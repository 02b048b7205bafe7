//! Layers with Keras's names and arguments, each a thin builder over a burn
//! module: `Dense::new(64).activation(Activation::Relu)` describes a layer,
//! `.build(inputs, &device)` makes the burn module with its weights.
//!
//! Images are channels-first inside (N, C, H, W), as burn and PyTorch use.

mod dense;

pub use dense::{Dense, DenseLayer};
