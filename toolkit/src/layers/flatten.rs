//! Keras's `Flatten`: (N, C, H, W) → (N, C·H·W).
//!
//! ```
//! use fireside::prelude::*;
//! let model = Sequential::with_input([32, 13, 13]).add(Flatten)?.add(Dense::new(10))?;
//! assert_eq!(model.summary().rows[0].1, vec![32 * 13 * 13]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{Batch, BuiltLayer, LayerDescription, LayerError};
use burn::module::Module;
use burn::tensor::Device;

/// Flattens each example to a vector, for the `Dense` layers after convolutions.
/// PyTorch's `nn.Flatten()`, or `x.view(-1, C * H * W)`.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([1, 28, 28]).add(Flatten)?;
/// let y = model.forward_flat(Tensor::<4>::ones([2, 1, 28, 28], &device()));
/// assert_eq!(y.dims(), [2, 784]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flatten;

impl LayerDescription for Flatten {
    type Built = FlattenLayer;

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        Ok(vec![input.iter().product()])
    }

    fn build(&self, input: &[usize], _device: &Device) -> Result<FlattenLayer, LayerError> {
        Ok(FlattenLayer { features: self.output_shape(input)?[0] })
    }
}

/// A built [`Flatten`] (it has no weights).
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([8, 5, 5]).add(Flatten)?;
/// let Layer::Flatten(flatten) = &model.layers[0] else { unreachable!() };
/// assert_eq!((flatten.features, model.num_params()), (200, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Module, Debug)]
pub struct FlattenLayer {
    /// The length of each flattened example (C·H·W).
    pub features: usize,
}

impl BuiltLayer for FlattenLayer {
    const KIND: &'static str = "Flatten";

    fn forward(&self, x: Batch) -> Batch {
        match x {
            Batch::Images(t) => Batch::Flat(t.flatten(1, 3)),
            Batch::Sequence(t) => Batch::Flat(t.flatten(1, 2)),
            flat @ Batch::Flat(_) => flat,
            x => self.wrong_batch(x),
        }
    }
}
