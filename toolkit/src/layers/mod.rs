//! Layers with Keras's names and arguments, each a thin builder over a burn
//! module. `Dense::new(64).activation(Activation::Relu)` describes a layer;
//! a [`Sequential`](crate::model::Sequential) builds it (creates its
//! weights) once it knows the shape of its input, or `Dense::build` does it
//! by hand.
//!
//! Images are channels-first inside, (N, C, H, W), as in burn and PyTorch:
//! Keras's `input_shape=(28, 28, 1)` is `input_shape([1, 28, 28])` here.
//!
//! ```
//! use fireside::prelude::*;
//! let model = Sequential::new()
//!     .add(Conv2d::new(8, 3).activation(Activation::Relu).input_shape([1, 28, 28]))?
//!     .add(MaxPool2d::new(2))?
//!     .add(Flatten)?
//!     .add(Dense::new(10).activation(Activation::Softmax))?;
//! assert_eq!(model.output_shape(), [10]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Adding a layer:** write its file here with the description (e.g.
//! `Dense`, implementing [`LayerDescription`]) and the built burn module
//! (e.g. `DenseLayer`, implementing [`BuiltLayer`]: Keras's `KIND`, `forward`
//! on a [`Batch`]), then add one line `Name => NameLayer, ...` to the list at
//! the `layers!` invocation in this file: [`LayerSpec`], [`Layer`], their
//! `From` conversions and every method that dispatches on them follow from it.

mod activation;
pub mod attention;
mod batch;
mod conv2d;
mod dense;
mod dropout;
mod embedding;
mod flatten;
mod gru;
mod lstm;
mod pool;
mod regularizer;
mod simple_rnn;
mod traits;

pub use activation::ActivationLayer;
pub use attention::{Attention, AttentionLayer};
pub use batch::Batch;
pub use conv2d::{Conv2d, Conv2dLayer};
pub use dense::{Dense, DenseLayer};
pub use dropout::{Dropout, DropoutLayer};
pub use embedding::{Embedding, EmbeddingLayer};
pub use flatten::{Flatten, FlattenLayer};
pub use gru::{Gru, GruLayer};
pub use lstm::{Lstm, LstmLayer, LstmState};
pub use pool::{AvgPool2d, AvgPool2dLayer, MaxPool2d, MaxPool2dLayer};
pub use regularizer::Regularizer;
pub use simple_rnn::{SimpleRnn, SimpleRnnLayer};
pub use traits::{BuiltLayer, LayerDescription};

use crate::activations::Activation;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

/// Keras's `padding`: `Valid` (no padding, the output shrinks) or `Same`
/// (zero padding so that the output keeps the input's size at stride 1).
///
/// ```
/// use fireside::prelude::*;
/// let same = Sequential::with_input([1, 28, 28]).add(Conv2d::new(8, 5).padding(Padding::Same))?;
/// assert_eq!(same.output_shape(), [8, 28, 28]);   // Padding::Valid gives [8, 24, 24]
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Padding {
    /// No padding: a window of k makes the output k − 1 pixels smaller (at stride 1; the default).
    #[default]
    Valid,
    /// Zeros around the image so that the output is ⌈size / stride⌉ wide.
    Same,
}

/// A layer that cannot be built on the shape it is given.
///
/// ```
/// use fireside::prelude::*;
/// use fireside::layers::LayerError;
/// let error = Sequential::with_input([1, 28, 28]).add(Dense::new(10)).unwrap_err();
/// assert!(matches!(error, LayerError::WrongRank { layer: "Dense", .. }));   // Flatten is missing
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LayerError {
    /// The layer takes another rank of input (e.g. `Dense` after `Conv2d`).
    #[error(
        "{layer} expects {expected}, but its input has shape {got:?}; add Flatten (or fix input_shape) before it"
    )]
    WrongRank { layer: &'static str, expected: &'static str, got: Vec<usize> },
    /// The image is smaller than the layer's window.
    #[error(
        "{layer}: the input ({size} pixels) is smaller than the window ({window}); use Padding::Same or a smaller kernel"
    )]
    TooSmall { layer: &'static str, size: usize, window: usize },
    /// The model's first layer has no input shape.
    #[error(
        "the first layer needs an input shape, e.g. `.input_shape([1, 28, 28])` (Keras's input_shape=...), or use Sequential::with_input"
    )]
    NoInputShape,
    /// An argument out of its range (e.g. a dropout rate of 1.5).
    #[error("{layer}: {reason}")]
    Argument { layer: &'static str, reason: String },
}

/// Generates, from the list of layers below, [`LayerSpec`] and [`Layer`]
/// (one variant per layer), the `From` conversions into `LayerSpec`, and
/// their methods, each a `match` that calls the layer's
/// [`LayerDescription`] or [`BuiltLayer`] implementation.
macro_rules! layers {
    ($($name:ident => $built:ident, $spec_doc:literal, $layer_doc:literal;)*) => {
        /// A layer described but not yet built (see the module docs).
        /// [`Sequential::add`](crate::model::Sequential::add) takes anything that converts into one.
        ///
        /// ```
        /// use fireside::prelude::*;
        /// use fireside::layers::LayerSpec;
        /// let spec = LayerSpec::from(Dense::new(10));
        /// assert_eq!(spec.output_shape(&[784]).unwrap(), vec![10]);
        /// ```
        #[derive(Debug, Clone, PartialEq)]
        pub enum LayerSpec {
            $(
                #[doc = $spec_doc]
                $name($name),
            )*
        }

        $(
            impl From<$name> for LayerSpec {
                fn from(layer: $name) -> Self {
                    LayerSpec::$name(layer)
                }
            }
        )*

        impl LayerSpec {
            /// The input shape the layer declares (only the first layer needs one).
            ///
            /// ```
            /// use fireside::prelude::*;
            /// use fireside::layers::LayerSpec;
            /// assert_eq!(LayerSpec::from(Dense::new(10).input_dim(784)).input_shape(), Some(vec![784]));
            /// assert_eq!(LayerSpec::from(Flatten).input_shape(), None);
            /// ```
            pub fn input_shape(&self) -> Option<Vec<usize>> {
                match self {
                    $(LayerSpec::$name(spec) => LayerDescription::input_shape(spec),)*
                }
            }

            /// The shape of one output example for one input example of `input`.
            ///
            /// ```
            /// use fireside::prelude::*;
            /// use fireside::layers::LayerSpec;
            /// let pool = LayerSpec::from(MaxPool2d::new(2));
            /// assert_eq!(pool.output_shape(&[32, 26, 26]).unwrap(), vec![32, 13, 13]);
            /// assert!(pool.output_shape(&[784]).is_err());   // not an image
            /// ```
            pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
                match self {
                    $(LayerSpec::$name(spec) => LayerDescription::output_shape(spec, input),)*
                }
            }

            /// Creates the layer's weights for inputs of shape `input`.
            ///
            /// ```
            /// use fireside::prelude::*;
            /// use fireside::layers::LayerSpec;
            /// let layer = LayerSpec::from(Dense::new(10)).build(&[784], &device()).unwrap();
            /// assert_eq!((layer.kind(), layer.num_params()), ("Dense", 7850));
            /// ```
            pub fn build(&self, input: &[usize], device: &Device) -> Result<Layer, LayerError> {
                Ok(match self {
                    $(LayerSpec::$name(spec) => Layer::$name(LayerDescription::build(spec, input, device)?),)*
                })
            }
        }

        /// A built layer: one of the toolkit's burn modules.
        /// A [`Sequential`](crate::model::Sequential)'s `layers` are these.
        ///
        /// ```
        /// use fireside::prelude::*;
        /// let model = Sequential::with_input([3]).add(Dense::new(2))?;
        /// let Layer::Dense(dense) = &model.layers[0] else { unreachable!() };
        /// assert_eq!(dense.shape(), (3, 2));
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[derive(Module, Debug)]
        pub enum Layer {
            $(
                #[doc = $layer_doc]
                $name($built),
            )*
        }

        impl Layer {
            /// Keras's name for the layer's type.
            ///
            /// ```
            /// use fireside::prelude::*;
            /// let model = Sequential::with_input([1, 28, 28]).add(Conv2d::new(8, 3))?.add(MaxPool2d::new(2))?;
            /// assert_eq!(model.layers[1].kind(), "MaxPooling2D");
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Layer::$name(_) => <$built as BuiltLayer>::KIND,)*
                }
            }

            /// Runs the layer on a batch; panics if the batch has the wrong rank.
            ///
            /// ```
            /// use fireside::prelude::*;
            /// let model = Sequential::with_input([4]).add(Dense::new(2))?;
            /// let y = model.layers[0].forward(Tensor::<2>::ones([3, 4], &device()).into());
            /// assert_eq!(y.dims(), [3, 2]);
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn forward(&self, x: Batch) -> Batch {
                match self {
                    $(Layer::$name(layer) => BuiltLayer::forward(layer, x),)*
                }
            }

            /// The regularization penalty of the layer's kernel, if it has one.
            ///
            /// ```
            /// use fireside::prelude::*;
            /// let model = Sequential::with_input([4]).add(Dense::new(2).regularizer(Regularizer::L1(0.01)))?;
            /// assert!(model.layers[0].penalty().is_some());
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn penalty(&self) -> Option<Tensor<1>> {
                match self {
                    $(Layer::$name(layer) => BuiltLayer::penalty(layer),)*
                }
            }
        }
    };
}

// Every layer, once: the variant (and description type) => the built layer,
// then the docs of the `LayerSpec` and of the `Layer` variant. Keep the order:
// it is the order of the enums' variants.
layers! {
    Dense => DenseLayer, "A [`Dense`] layer.", "A built [`Dense`].";
    Conv2d => Conv2dLayer, "A [`Conv2d`] layer.", "A built [`Conv2d`].";
    MaxPool2d => MaxPool2dLayer, "A [`MaxPool2d`] layer.", "A built [`MaxPool2d`].";
    AvgPool2d => AvgPool2dLayer, "An [`AvgPool2d`] layer.", "A built [`AvgPool2d`].";
    Flatten => FlattenLayer, "A [`Flatten`] layer.", "A built [`Flatten`].";
    Dropout => DropoutLayer, "A [`Dropout`] layer.", "A built [`Dropout`].";
    Activation => ActivationLayer,
        "An activation on its own (Keras's `Activation('relu')`).", "An activation on its own.";
    Embedding => EmbeddingLayer, "An [`Embedding`] layer.", "A built [`Embedding`].";
    SimpleRnn => SimpleRnnLayer, "A [`SimpleRnn`] layer.", "A built [`SimpleRnn`].";
    Lstm => LstmLayer, "An [`Lstm`] layer.", "A built [`Lstm`].";
    Gru => GruLayer, "A [`Gru`] layer.", "A built [`Gru`].";
    Attention => AttentionLayer, "A self-[`Attention`] layer.", "A built [`Attention`].";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sequential;

    #[test]
    fn a_wrong_batch_panics_with_the_layer_and_the_shape() {
        let model = Sequential::with_input([1, 4, 4]).add(Conv2d::new(2, 3)).unwrap();
        let flat = Batch::from(Tensor::<2>::ones([2, 16], &crate::device::device()));
        let forward = std::panic::AssertUnwindSafe(|| model.layers[0].forward(flat));
        let panic = std::panic::catch_unwind(forward).unwrap_err();
        let message = panic.downcast_ref::<String>().expect("a formatted message");
        assert_eq!(message, "Conv2D cannot take a batch of shape [2, 16]");
    }

    #[test]
    fn every_layer_builds_the_variant_of_its_description() {
        let specs: Vec<(LayerSpec, &[usize])> = vec![
            (Dense::new(2).into(), &[3]),
            (Conv2d::new(2, 3).into(), &[1, 4, 4]),
            (MaxPool2d::new(2).into(), &[1, 4, 4]),
            (AvgPool2d::new(2).into(), &[1, 4, 4]),
            (Flatten.into(), &[1, 4, 4]),
            (Dropout::new(0.5).into(), &[3]),
            (Activation::Relu.into(), &[3]),
            (Embedding::new(10, 4).into(), &[5]),
            (SimpleRnn::new(2).into(), &[5, 3]),
            (Lstm::new(2).into(), &[5, 3]),
            (Gru::new(2).into(), &[5, 3]),
            (Attention::new(4).into(), &[5, 3]),
        ];
        let kinds: Vec<&str> = specs
            .iter()
            .map(|(spec, input)| spec.build(input, &crate::device::device()).unwrap().kind())
            .collect();
        assert_eq!(
            kinds,
            [
                "Dense",
                "Conv2D",
                "MaxPooling2D",
                "AveragePooling2D",
                "Flatten",
                "Dropout",
                "Activation",
                "Embedding",
                "SimpleRNN",
                "LSTM",
                "GRU",
                "Attention"
            ]
        );
    }
}
