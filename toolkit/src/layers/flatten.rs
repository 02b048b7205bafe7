//! Keras's `Flatten`: (N, C, H, W) → (N, C·H·W).
//!
//! ```
//! use fireside::prelude::*;
//! let model = Sequential::with_input([32, 13, 13]).add(Flatten).add(Dense::new(10));
//! assert_eq!(model.summary().rows[0].1, vec![32 * 13 * 13]);
//! ```

use super::LayerError;
use burn::module::Module;

/// Flattens each example to a vector, for the `Dense` layers after convolutions.
/// PyTorch's `nn.Flatten()`, or `x.view(-1, C * H * W)`.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([1, 28, 28]).add(Flatten);
/// let y = model.forward_flat(Tensor::<4>::ones([2, 1, 28, 28], &device()));
/// assert_eq!(y.dims(), [2, 784]);
/// ```
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
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([8, 5, 5]).add(Flatten);
/// let Layer::Flatten(flatten) = &model.layers[0] else { unreachable!() };
/// assert_eq!((flatten.features, model.num_params()), (200, 0));
/// ```
#[derive(Module, Debug)]
pub struct FlattenLayer {
    /// The length of each flattened example (C·H·W).
    pub features: usize,
}
