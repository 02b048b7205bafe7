//! The two traits every layer implements: [`LayerDescription`] for the
//! layer as described (`Dense::new(10)`), [`BuiltLayer`] for the layer with
//! its weights (`DenseLayer`). [`LayerSpec`](super::LayerSpec) and
//! [`Layer`](super::Layer) dispatch to them, variant by variant.
//!
//! ```
//! use fireside::prelude::*;
//! use fireside::layers::{BuiltLayer, DenseLayer, LayerDescription};
//! let layer: DenseLayer = LayerDescription::build(&Dense::new(2), &[3], &device()).unwrap();
//! assert_eq!(DenseLayer::KIND, "Dense");
//! let y = BuiltLayer::forward(&layer, Tensor::<2>::ones([4, 3], &device()).into());
//! assert_eq!(y.dims(), [4, 2]);
//! ```

use super::{Batch, LayerError};
use burn::module::Module;
use burn::tensor::{Device, Tensor};

/// A layer described but not yet built: its arguments, and how to create
/// its weights once the shape of its input is known.
///
/// ```
/// use fireside::prelude::*;
/// use fireside::layers::LayerDescription;
/// let pool = MaxPool2d::new(2);
/// assert_eq!(LayerDescription::output_shape(&pool, &[8, 28, 28]).unwrap(), vec![8, 14, 14]);
/// assert_eq!(LayerDescription::input_shape(&pool), None);
/// ```
pub trait LayerDescription {
    /// The layer it builds.
    type Built: BuiltLayer;

    /// The shape of one input example the layer declares (Keras's
    /// `input_shape`), which only a model's first layer needs; `None` by default.
    fn input_shape(&self) -> Option<Vec<usize>> {
        None
    }

    /// The shape of one output example for one input example of `input`, or
    /// why the layer cannot take that input.
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError>;

    /// Creates the layer's weights for input examples of shape `input`.
    fn build(&self, input: &[usize], device: &Device) -> Result<Self::Built, LayerError>;
}

/// A built layer: a burn module that runs on a [`Batch`].
///
/// ```
/// use fireside::prelude::*;
/// use fireside::layers::{BuiltLayer, FlattenLayer};
/// assert_eq!(FlattenLayer::KIND, "Flatten");
/// ```
pub trait BuiltLayer: Module {
    /// Keras's name for the layer's type (`"Dense"`, `"Conv2D"`, ...).
    const KIND: &'static str;

    /// Runs the layer on a batch; panics (see [`wrong_batch`](Self::wrong_batch))
    /// if the batch has a shape the layer does not take.
    fn forward(&self, x: Batch) -> Batch;

    /// The penalty the layer adds to the loss (a kernel regularizer's), if
    /// any; `None` by default.
    fn penalty(&self) -> Option<Tensor<1>> {
        None
    }

    /// The panic of [`forward`](Self::forward) for a batch of the wrong
    /// shape, e.g. "Conv2D cannot take a batch of shape [32, 784]".
    fn wrong_batch(&self, x: Batch) -> ! {
        panic!("{} cannot take a batch of shape {:?}", Self::KIND, x.dims())
    }
}
