//! Keras's `Activation` layer: an [`Activation`] added to a model on its
//! own, applied to each value of whatever batch reaches it.
//!
//! ```
//! use fireside::prelude::*;
//! let model = Sequential::with_input([1, 4, 4]).add(Activation::Relu)?;
//! assert_eq!(model.layers[0].kind(), "Activation");
//! assert_eq!(model.output_shape(), [1, 4, 4]);   // it keeps the shape
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{Batch, BuiltLayer, LayerDescription, LayerError};
use crate::activations::Activation;
use burn::module::Module;
use burn::tensor::Device;

/// An activation on its own, as Keras's `Activation('relu')` layer
/// (PyTorch's `nn.ReLU()`): `add` an [`Activation`] to a model.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([3]).add(Activation::Relu)?;
/// let y = model.forward_flat(Tensor::<2>::from_floats([[-1.0, 2.0, 0.5]], &device()));
/// assert_eq!(y.values(), vec![0.0, 2.0, 0.5]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Module, Debug)]
pub struct ActivationLayer {
    /// The function applied to each value.
    #[module(skip)]
    pub activation: Activation,
}

impl LayerDescription for Activation {
    type Built = ActivationLayer;

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        Ok(input.to_vec())
    }

    fn build(&self, _input: &[usize], _device: &Device) -> Result<ActivationLayer, LayerError> {
        Ok(ActivationLayer { activation: *self })
    }
}

impl BuiltLayer for ActivationLayer {
    const KIND: &'static str = "Activation";

    fn forward(&self, x: Batch) -> Batch {
        match x {
            Batch::Flat(t) => Batch::Flat(self.activation.apply(t)),
            Batch::Sequence(t) => Batch::Sequence(self.activation.apply(t)),
            Batch::Images(t) => Batch::Images(self.activation.apply(t)),
            x => self.wrong_batch(x),
        }
    }
}
