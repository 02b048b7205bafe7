//! Keras's `Dense`: a fully connected layer, y = activation(x W + b).
//! PyTorch's `nn.Linear` followed by the activation.
//!
//! ```
//! use fireside::prelude::*;
//! let model = Sequential::with_input([784]).add(Dense::new(10).activation(Activation::Softmax))?;
//! assert_eq!(model.num_params(), 784 * 10 + 10);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{Batch, BuiltLayer, LayerDescription, LayerError, Regularizer};
use crate::activations::Activation;
use crate::display::{MimeBundle, Rich};
use crate::fused;
use burn::module::Module;
use burn::module::Param;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

/// A fully connected layer with `units` outputs.
///
/// ```no_run
/// use fireside::prelude::*;
/// // Keras: Dense(4, activation='relu'), here built by hand for 3 inputs.
/// let layer = Dense::new(4).activation(Activation::Relu).build(3, &device());
/// let y = layer.forward(Tensor::<2>::ones([2, 3], &device()));
/// assert_eq!(y.dims(), [2, 4]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// The number of outputs.
    pub units: usize,
    /// Applied to x W + b (default `Linear`: none).
    pub activation: Activation,
    /// Whether the layer adds a bias b (default true).
    pub use_bias: bool,
    /// A penalty on the weights added to the loss (default none).
    pub regularizer: Option<Regularizer>,
    /// `[features]` of one input example, for a model's first layer.
    pub input_shape: Option<Vec<usize>>,
}

impl Dense {
    /// A layer with `units` outputs, no activation, with a bias (Keras: `Dense(units)`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let dense = Dense::new(64);
    /// assert_eq!((dense.units, dense.activation), (64, Activation::Linear));
    /// ```
    pub fn new(units: usize) -> Self {
        Dense { units, activation: Activation::Linear, use_bias: true, regularizer: None, input_shape: None }
    }

    /// The activation applied to x W + b (Keras's `activation='relu'`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let dense = Dense::new(64).activation(Activation::Relu);
    /// assert_eq!(dense.activation, Activation::Relu);
    /// ```
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Whether to add a bias b (default true), e.g. false before a normalization.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Dense::new(4).use_bias(false).build(3, &device());
    /// assert_eq!(layer.num_params(), 3 * 4);   // weights only
    /// ```
    pub fn use_bias(mut self, use_bias: bool) -> Self {
        self.use_bias = use_bias;
        self
    }

    /// A penalty on the weights, added to the loss (Keras's `kernel_regularizer`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let dense = Dense::new(64).regularizer(Regularizer::L2(1e-4));   // Keras: kernel_regularizer=l2(1e-4)
    /// assert_eq!(dense.regularizer, Some(Regularizer::L2(1e-4)));
    /// ```
    pub fn regularizer(mut self, regularizer: Regularizer) -> Self {
        self.regularizer = Some(regularizer);
        self
    }

    /// The shape of one input example, when this is a model's first layer:
    /// `[features]`, or `[steps, features]` for a sequence (Keras 3:
    /// `Dense(128, input_shape=(784,))`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::new().add(Dense::new(128).activation(Activation::Relu).input_shape([784]))?;
    /// assert_eq!(model.input_shape(), [784]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_shape<const N: usize>(mut self, shape: [usize; N]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Keras 2's name for `input_shape([features])`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// // Keras 2: Dense(32, activation='relu', input_dim=784)
    /// let model = Sequential::new().add(Dense::new(32).activation(Activation::Relu).input_dim(784))?;
    /// assert_eq!(model.input_shape(), [784]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_dim(self, features: usize) -> Self {
        self.input_shape([features])
    }

    /// The layer's weights for `inputs` input features, initialized as
    /// Keras does: Glorot-uniform weights, zero biases.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Dense::new(4).build(3, &device());
    /// assert_eq!(layer.shape(), (3, 4));
    /// ```
    pub fn build(&self, inputs: usize, device: &Device) -> DenseLayer {
        let mut linear = LinearConfig::new(inputs, self.units)
            .with_bias(self.use_bias)
            .with_initializer(Initializer::XavierUniform { gain: 1.0 })
            .init(device);
        if let Some(bias) = &linear.bias {
            linear.bias = Some(Param::from_tensor(bias.val().zeros_like()));
        }
        DenseLayer { linear, activation: self.activation, regularizer: self.regularizer }
    }
}

impl LayerDescription for Dense {
    type Built = DenseLayer;

    fn input_shape(&self) -> Option<Vec<usize>> {
        self.input_shape.clone()
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        match input {
            [_] => Ok(vec![self.units]),
            [steps, _] => Ok(vec![*steps, self.units]),
            other => Err(LayerError::WrongRank {
                layer: "Dense",
                expected: "feature vectors [features]",
                got: other.to_vec(),
            }),
        }
    }

    fn build(&self, input: &[usize], device: &Device) -> Result<DenseLayer, LayerError> {
        LayerDescription::output_shape(self, input)?;
        Ok(Dense::build(self, *input.last().expect("checked above"), device))
    }
}

/// A built [`Dense`] layer: a burn `Linear` and an activation.
///
/// ```
/// use fireside::prelude::*;
/// let layer: DenseLayer = Dense::new(4).activation(Activation::Relu).build(3, &device());
/// assert_eq!(layer.linear.weight.val().dims(), [3, 4]);   // (inputs, units): x W, not PyTorch's W x
/// assert_eq!(layer.num_params(), 3 * 4 + 4);
/// ```
#[derive(Module, Debug)]
pub struct DenseLayer {
    /// burn's `Linear`: the weights W (inputs, units) and the bias b.
    pub linear: Linear,
    /// Applied after x W + b.
    #[module(skip)]
    pub activation: Activation,
    /// The penalty [`penalty`](Self::penalty) computes, if any.
    #[module(skip)]
    pub regularizer: Option<Regularizer>,
}

impl DenseLayer {
    /// Applies the layer to the last dimension of `x`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Dense::new(4).build(3, &device());
    /// let y = layer.forward(Tensor::<2>::ones([2, 3], &device()));
    /// assert_eq!(y.dims(), [2, 4]);
    /// ```
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match &self.linear.bias {
            // The fused layer (`fireside::fused::dense`, flex's CPU path), on
            // the rows of every dimension but the last; ReLU inside it.
            Some(bias) if fused::available(&x) => {
                let dims = x.dims();
                let (inputs, units) = self.shape();
                let rows = dims[..D - 1].iter().product();
                let relu = self.activation == Activation::Relu;
                let y = fused::dense(x.reshape([rows, inputs]), self.linear.weight.val(), bias.val(), relu);
                let mut out = dims;
                out[D - 1] = units;
                let y = y.reshape(out);
                if relu { y } else { self.activation.apply(y) }
            }
            _ => self.activation.apply(self.linear.forward(x)),
        }
    }

    /// (inputs, units)
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Dense::new(10).build(784, &device()).shape(), (784, 10));
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        let [inputs, units] = self.linear.weight.val().dims();
        (inputs, units)
    }

    /// The regularizer's penalty on the current weights, or `None` without one.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let layer = Dense::new(4).regularizer(Regularizer::L2(1e-4)).build(3, &device());
    /// assert!(layer.penalty().is_some());
    /// assert!(Dense::new(4).build(3, &device()).penalty().is_none());
    /// ```
    pub fn penalty(&self) -> Option<Tensor<1>> {
        self.regularizer.map(|r| r.penalty(self.linear.weight.val()))
    }
}

impl BuiltLayer for DenseLayer {
    const KIND: &'static str = "Dense";

    fn forward(&self, x: Batch) -> Batch {
        match x {
            Batch::Flat(t) => Batch::Flat(DenseLayer::forward(self, t)),
            Batch::Sequence(t) => Batch::Sequence(DenseLayer::forward(self, t)),
            x => self.wrong_batch(x),
        }
    }

    fn penalty(&self) -> Option<Tensor<1>> {
        DenseLayer::penalty(self)
    }
}

impl Rich for DenseLayer {
    fn to_mime(&self) -> MimeBundle {
        let (inputs, units) = self.shape();
        let params = self.num_params();
        let text = format!(
            "Dense(inputs={inputs}, units={units}, activation={}, params={params})",
            self.activation.name()
        );
        let html = format!(
            "<table><tr><th>layer</th><th>inputs</th><th>units</th><th>activation</th><th>params</th></tr>\
             <tr><td>Dense</td><td>{inputs}</td><td>{units}</td><td>{}</td><td>{params}</td></tr></table>",
            self.activation.name()
        );
        MimeBundle::text(text).with("text/html", html)
    }
}
