//! Keras's `Flatten`: (N, C, H, W) → (N, C·H·W).

use super::LayerError;
use burn::module::Module;

/// Flattens each example to a vector, for the `Dense` layers after convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flatten;

impl Flatten {
    pub(crate) fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        Ok(vec![input.iter().product()])
    }

    pub(crate) fn build(&self, input: &[usize]) -> Result<FlattenLayer, LayerError> {
        Ok(FlattenLayer { features: self.output_shape(input)?[0] })
    }
}

/// A built [`Flatten`] (it has no weights).
#[derive(Module, Debug)]
pub struct FlattenLayer {
    pub features: usize,
}
