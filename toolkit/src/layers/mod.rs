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
//!     .add(Conv2d::new(8, 3).activation(Activation::Relu).input_shape([1, 28, 28]))
//!     .add(MaxPool2d::new(2))
//!     .add(Flatten)
//!     .add(Dense::new(10).activation(Activation::Softmax));
//! assert_eq!(model.output_shape(), [10]);
//! ```

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

use crate::activations::Activation;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

/// Keras's `padding`: `Valid` (no padding, the output shrinks) or `Same`
/// (zero padding so that the output keeps the input's size at stride 1).
///
/// ```
/// use fireside::prelude::*;
/// let same = Sequential::with_input([1, 28, 28]).add(Conv2d::new(8, 5).padding(Padding::Same));
/// assert_eq!(same.output_shape(), [8, 28, 28]);   // Padding::Valid gives [8, 24, 24]
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
/// let error = Sequential::with_input([1, 28, 28]).try_add(Dense::new(10)).unwrap_err();
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
}

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
    /// A [`Dense`] layer.
    Dense(Dense),
    /// A [`Conv2d`] layer.
    Conv2d(Conv2d),
    /// A [`MaxPool2d`] layer.
    MaxPool2d(MaxPool2d),
    /// An [`AvgPool2d`] layer.
    AvgPool2d(AvgPool2d),
    /// A [`Flatten`] layer.
    Flatten(Flatten),
    /// A [`Dropout`] layer.
    Dropout(Dropout),
    /// An activation on its own (Keras's `Activation('relu')`).
    Activation(Activation),
    /// An [`Embedding`] layer.
    Embedding(Embedding),
    /// A [`SimpleRnn`] layer.
    SimpleRnn(SimpleRnn),
    /// An [`Lstm`] layer.
    Lstm(Lstm),
    /// A [`Gru`] layer.
    Gru(Gru),
    /// A self-[`Attention`](crate::attention::Attention) layer.
    Attention(crate::attention::Attention),
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
spec_from!(
    Dense, Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout, Activation, Embedding, SimpleRnn, Lstm, Gru
);

impl From<crate::attention::Attention> for LayerSpec {
    fn from(layer: crate::attention::Attention) -> Self {
        LayerSpec::Attention(layer)
    }
}

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
            LayerSpec::Dense(d) => d.input_shape.clone(),
            LayerSpec::Conv2d(c) => c.input_shape.clone(),
            LayerSpec::Embedding(e) => e.input_shape.clone(),
            LayerSpec::SimpleRnn(r) => r.input_shape.clone(),
            LayerSpec::Lstm(r) => r.input_shape.clone(),
            LayerSpec::Gru(r) => r.input_shape.clone(),
            LayerSpec::Attention(a) => a.input_shape.clone(),
            _ => None,
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
            LayerSpec::Dense(d) => d.output_shape(input),
            LayerSpec::Conv2d(c) => c.output_shape(input),
            LayerSpec::MaxPool2d(p) => p.output_shape(input),
            LayerSpec::AvgPool2d(p) => p.output_shape(input),
            LayerSpec::Flatten(f) => f.output_shape(input),
            LayerSpec::Dropout(_) | LayerSpec::Activation(_) => Ok(input.to_vec()),
            LayerSpec::Embedding(e) => e.output_shape(input),
            LayerSpec::SimpleRnn(r) => r.output_shape(input),
            LayerSpec::Lstm(r) => r.output_shape(input),
            LayerSpec::Gru(r) => r.output_shape(input),
            LayerSpec::Attention(a) => a.output_shape(input),
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
            LayerSpec::Dense(d) => Layer::Dense(d.build_for(input, device)?),
            LayerSpec::Conv2d(c) => Layer::Conv2d(c.build(input, device)?),
            LayerSpec::MaxPool2d(p) => Layer::MaxPool2d(p.build(input)?),
            LayerSpec::AvgPool2d(p) => Layer::AvgPool2d(p.build(input)?),
            LayerSpec::Flatten(f) => Layer::Flatten(f.build(input)?),
            LayerSpec::Dropout(d) => Layer::Dropout(d.build()),
            LayerSpec::Activation(a) => Layer::Activation(ActivationLayer { activation: *a }),
            LayerSpec::Embedding(e) => Layer::Embedding(e.build_for(input, device)?),
            LayerSpec::SimpleRnn(r) => Layer::SimpleRnn(r.build_for(input, device)?),
            LayerSpec::Lstm(r) => Layer::Lstm(r.build_for(input, device)?),
            LayerSpec::Gru(r) => Layer::Gru(r.build_for(input, device)?),
            LayerSpec::Attention(a) => Layer::Attention(a.build_for(input, device)?),
        })
    }
}

/// A built layer: one of the toolkit's burn modules.
/// A [`Sequential`](crate::model::Sequential)'s `layers` are these.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([3]).add(Dense::new(2));
/// let Layer::Dense(dense) = &model.layers[0] else { unreachable!() };
/// assert_eq!(dense.shape(), (3, 2));
/// ```
#[derive(Module, Debug)]
pub enum Layer {
    /// A built [`Dense`].
    Dense(DenseLayer),
    /// A built [`Conv2d`].
    Conv2d(Conv2dLayer),
    /// A built [`MaxPool2d`].
    MaxPool2d(MaxPool2dLayer),
    /// A built [`AvgPool2d`].
    AvgPool2d(AvgPool2dLayer),
    /// A built [`Flatten`].
    Flatten(FlattenLayer),
    /// A built [`Dropout`].
    Dropout(DropoutLayer),
    /// An activation on its own.
    Activation(ActivationLayer),
    /// A built [`Embedding`].
    Embedding(EmbeddingLayer),
    /// A built [`SimpleRnn`].
    SimpleRnn(SimpleRnnLayer),
    /// A built [`Lstm`].
    Lstm(LstmLayer),
    /// A built [`Gru`].
    Gru(GruLayer),
    /// A built [`Attention`](crate::attention::Attention).
    Attention(crate::attention::AttentionLayer),
}

/// An activation on its own, as Keras's `Activation('relu')` layer
/// (PyTorch's `nn.ReLU()`): `add` an [`Activation`] to a model.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([3]).add(Activation::Relu);
/// let y = model.forward_flat(Tensor::<2>::from_floats([[-1.0, 2.0, 0.5]], &device()));
/// assert_eq!(y.values(), vec![0.0, 2.0, 0.5]);
/// ```
#[derive(Module, Debug)]
pub struct ActivationLayer {
    /// The function applied to each value.
    #[module(skip)]
    pub activation: Activation,
}

impl Layer {
    /// Keras's name for the layer's type.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([1, 28, 28]).add(Conv2d::new(8, 3)).add(MaxPool2d::new(2));
    /// assert_eq!(model.layers[1].kind(), "MaxPooling2D");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "Dense",
            Layer::Conv2d(_) => "Conv2D",
            Layer::MaxPool2d(_) => "MaxPooling2D",
            Layer::AvgPool2d(_) => "AveragePooling2D",
            Layer::Flatten(_) => "Flatten",
            Layer::Dropout(_) => "Dropout",
            Layer::Activation(_) => "Activation",
            Layer::Embedding(_) => "Embedding",
            Layer::SimpleRnn(_) => "SimpleRNN",
            Layer::Lstm(_) => "LSTM",
            Layer::Gru(_) => "GRU",
            Layer::Attention(_) => "Attention",
        }
    }

    /// Runs the layer on a batch; panics if the batch has the wrong rank.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([4]).add(Dense::new(2));
    /// let y = model.layers[0].forward(Tensor::<2>::ones([3, 4], &device()).into());
    /// assert_eq!(y.dims(), [3, 2]);
    /// ```
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
            (Layer::Embedding(l), Batch::Tokens(t)) => Batch::Sequence(l.forward(t)),
            // Word indices that arrive as floats (Keras casts them too).
            (Layer::Embedding(l), Batch::Flat(t)) => Batch::Sequence(l.forward(t.int())),
            (Layer::SimpleRnn(l), Batch::Sequence(t)) => l.forward(t),
            (Layer::Lstm(l), Batch::Sequence(t)) => l.forward(t),
            (Layer::Gru(l), Batch::Sequence(t)) => l.forward(t),
            (Layer::Attention(l), Batch::Sequence(t)) => Batch::Sequence(l.forward(t)),
            (layer, x) => panic!("{} cannot take a batch of shape {:?}", layer.kind(), x.dims()),
        }
    }

    /// The regularization penalty of the layer's kernel, if it has one.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([4]).add(Dense::new(2).regularizer(Regularizer::L1(0.01)));
    /// assert!(model.layers[0].penalty().is_some());
    /// ```
    pub fn penalty(&self) -> Option<Tensor<1>> {
        match self {
            Layer::Dense(l) => l.penalty(),
            _ => None,
        }
    }
}
