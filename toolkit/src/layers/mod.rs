//! Layers with Keras's names and arguments, each a thin builder over a burn
//! module. `Dense::new(64).activation(Activation::Relu)` describes a layer;
//! a [`Sequential`](crate::model::Sequential) builds it (creates its
//! weights) once it knows the shape of its input, or `Dense::build` does it
//! by hand.
//!
//! Images are channels-first inside, (N, C, H, W), as in burn and PyTorch:
//! Keras's `input_shape=(28, 28, 1)` is `input_shape([1, 28, 28])` here.

mod batch;
mod conv2d;
mod dense;
mod dropout;
mod flatten;
mod pool;
mod regularizer;

pub use batch::Batch;
pub use conv2d::{Conv2d, Conv2dLayer};
pub use dense::{Dense, DenseLayer};
pub use dropout::{Dropout, DropoutLayer};
pub use flatten::{Flatten, FlattenLayer};
pub use pool::{AvgPool2d, AvgPool2dLayer, MaxPool2d, MaxPool2dLayer};
pub use regularizer::Regularizer;

use crate::activations::Activation;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

/// Keras's `padding`: `Valid` (no padding, the output shrinks) or `Same`
/// (zero padding so that the output keeps the input's size at stride 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Padding {
    #[default]
    Valid,
    Same,
}

/// A layer that cannot be built on the shape it is given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LayerError {
    #[error(
        "{layer} expects {expected}, but its input has shape {got:?}; add Flatten (or fix input_shape) before it"
    )]
    WrongRank { layer: &'static str, expected: &'static str, got: Vec<usize> },
    #[error(
        "{layer}: the input ({size} pixels) is smaller than the window ({window}); use Padding::Same or a smaller kernel"
    )]
    TooSmall { layer: &'static str, size: usize, window: usize },
    #[error(
        "the first layer needs an input shape, e.g. `.input_shape([1, 28, 28])` (Keras's input_shape=...), or use Sequential::with_input"
    )]
    NoInputShape,
}

/// A layer described but not yet built (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub enum LayerSpec {
    Dense(Dense),
    Conv2d(Conv2d),
    MaxPool2d(MaxPool2d),
    AvgPool2d(AvgPool2d),
    Flatten(Flatten),
    Dropout(Dropout),
    Activation(Activation),
}

macro_rules! spec_from {
    ($($name:ident),*) => {$(
        impl From<$name> for LayerSpec {
            fn from(layer: $name) -> Self {
                LayerSpec::$name(layer)
            }
        }
    )*};
}
spec_from!(Dense, Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout, Activation);

impl LayerSpec {
    /// The input shape the layer declares (only the first layer needs one).
    pub fn input_shape(&self) -> Option<Vec<usize>> {
        match self {
            LayerSpec::Dense(d) => d.input_shape.clone(),
            LayerSpec::Conv2d(c) => c.input_shape.clone(),
            _ => None,
        }
    }

    /// The shape of one output example for one input example of `input`.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        match self {
            LayerSpec::Dense(d) => d.output_shape(input),
            LayerSpec::Conv2d(c) => c.output_shape(input),
            LayerSpec::MaxPool2d(p) => p.output_shape(input),
            LayerSpec::AvgPool2d(p) => p.output_shape(input),
            LayerSpec::Flatten(f) => f.output_shape(input),
            LayerSpec::Dropout(_) | LayerSpec::Activation(_) => Ok(input.to_vec()),
        }
    }

    /// Creates the layer's weights for inputs of shape `input`.
    pub fn build(&self, input: &[usize], device: &Device) -> Result<Layer, LayerError> {
        Ok(match self {
            LayerSpec::Dense(d) => Layer::Dense(d.build_for(input, device)?),
            LayerSpec::Conv2d(c) => Layer::Conv2d(c.build(input, device)?),
            LayerSpec::MaxPool2d(p) => Layer::MaxPool2d(p.build(input)?),
            LayerSpec::AvgPool2d(p) => Layer::AvgPool2d(p.build(input)?),
            LayerSpec::Flatten(f) => Layer::Flatten(f.build(input)?),
            LayerSpec::Dropout(d) => Layer::Dropout(d.build()),
            LayerSpec::Activation(a) => Layer::Activation(ActivationLayer { activation: *a }),
        })
    }
}

/// A built layer: one of the toolkit's burn modules.
#[derive(Module, Debug)]
pub enum Layer {
    Dense(DenseLayer),
    Conv2d(Conv2dLayer),
    MaxPool2d(MaxPool2dLayer),
    AvgPool2d(AvgPool2dLayer),
    Flatten(FlattenLayer),
    Dropout(DropoutLayer),
    Activation(ActivationLayer),
}

/// An activation on its own, as Keras's `Activation('relu')` layer.
#[derive(Module, Debug)]
pub struct ActivationLayer {
    #[module(skip)]
    pub activation: Activation,
}

impl Layer {
    /// Keras's name for the layer's type.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "Dense",
            Layer::Conv2d(_) => "Conv2D",
            Layer::MaxPool2d(_) => "MaxPooling2D",
            Layer::AvgPool2d(_) => "AveragePooling2D",
            Layer::Flatten(_) => "Flatten",
            Layer::Dropout(_) => "Dropout",
            Layer::Activation(_) => "Activation",
        }
    }

    pub fn forward(&self, x: Batch) -> Batch {
        match (self, x) {
            (Layer::Dense(l), Batch::Flat(t)) => Batch::Flat(l.forward(t)),
            (Layer::Dense(l), Batch::Sequence(t)) => Batch::Sequence(l.forward(t)),
            (Layer::Conv2d(l), Batch::Images(t)) => Batch::Images(l.forward(t)),
            (Layer::MaxPool2d(l), Batch::Images(t)) => Batch::Images(l.forward(t)),
            (Layer::AvgPool2d(l), Batch::Images(t)) => Batch::Images(l.forward(t)),
            (Layer::Flatten(_), Batch::Images(t)) => Batch::Flat(t.flatten(1, 3)),
            (Layer::Flatten(_), Batch::Sequence(t)) => Batch::Flat(t.flatten(1, 2)),
            (Layer::Flatten(_), flat @ Batch::Flat(_)) => flat,
            (Layer::Dropout(l), Batch::Flat(t)) => Batch::Flat(l.dropout.forward(t)),
            (Layer::Dropout(l), Batch::Sequence(t)) => Batch::Sequence(l.dropout.forward(t)),
            (Layer::Dropout(l), Batch::Images(t)) => Batch::Images(l.dropout.forward(t)),
            (Layer::Activation(l), Batch::Flat(t)) => Batch::Flat(l.activation.apply(t)),
            (Layer::Activation(l), Batch::Sequence(t)) => Batch::Sequence(l.activation.apply(t)),
            (Layer::Activation(l), Batch::Images(t)) => Batch::Images(l.activation.apply(t)),
            (layer, x) => panic!("{} cannot take a batch of shape {:?}", layer.kind(), x.dims()),
        }
    }

    /// The regularization penalty of the layer's kernel, if it has one.
    pub fn penalty(&self) -> Option<Tensor<1>> {
        match self {
            Layer::Dense(l) => l.penalty(),
            _ => None,
        }
    }
}
