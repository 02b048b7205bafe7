//! Keras's `Dense`: a fully connected layer, y = activation(x W + b).

use super::{LayerError, Regularizer};
use crate::activations::Activation;
use crate::display::{MimeBundle, Rich};
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
    pub units: usize,
    pub activation: Activation,
    pub use_bias: bool,
    pub regularizer: Option<Regularizer>,
    pub input_shape: Option<Vec<usize>>,
}

impl Dense {
    pub fn new(units: usize) -> Self {
        Dense { units, activation: Activation::Linear, use_bias: true, regularizer: None, input_shape: None }
    }

    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    pub fn use_bias(mut self, use_bias: bool) -> Self {
        self.use_bias = use_bias;
        self
    }

    /// A penalty on the weights, added to the loss (Keras's `kernel_regularizer`).
    pub fn regularizer(mut self, regularizer: Regularizer) -> Self {
        self.regularizer = Some(regularizer);
        self
    }

    /// The number of input features, when this is a model's first layer.
    pub fn input_dim(mut self, features: usize) -> Self {
        self.input_shape = Some(vec![features]);
        self
    }

    /// The layer's weights for `inputs` input features, initialized as
    /// Keras does: Glorot-uniform weights, zero biases.
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

    pub(crate) fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
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

    pub(crate) fn build_for(&self, input: &[usize], device: &Device) -> Result<DenseLayer, LayerError> {
        self.output_shape(input)?;
        Ok(self.build(*input.last().expect("checked above"), device))
    }
}

/// A built [`Dense`] layer: a burn `Linear` and an activation.
#[derive(Module, Debug)]
pub struct DenseLayer {
    pub linear: Linear,
    #[module(skip)]
    pub activation: Activation,
    #[module(skip)]
    pub regularizer: Option<Regularizer>,
}

impl DenseLayer {
    /// Applies the layer to the last dimension of `x`.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        self.activation.apply(self.linear.forward(x))
    }

    /// (inputs, units)
    pub fn shape(&self) -> (usize, usize) {
        let [inputs, units] = self.linear.weight.val().dims();
        (inputs, units)
    }

    pub fn penalty(&self) -> Option<Tensor<1>> {
        self.regularizer.map(|r| r.penalty(self.linear.weight.val()))
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
