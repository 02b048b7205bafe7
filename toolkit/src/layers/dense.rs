//! Keras's `Dense`: a fully connected layer, y = activation(x W + b).

use crate::activations::Activation;
use crate::display::{MimeBundle, Rich};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

/// A fully connected layer with `units` outputs.
///
/// ```no_run
/// use fireside::prelude::*;
/// let layer = Dense::new(4).activation(Activation::Relu).build(3, &device());
/// let y = layer.forward(Tensor::<2>::ones([2, 3], &device()));
/// assert_eq!(y.dims(), [2, 4]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dense {
    pub units: usize,
    pub activation: Activation,
    pub use_bias: bool,
}

impl Dense {
    pub fn new(units: usize) -> Self {
        Dense {
            units,
            activation: Activation::Linear,
            use_bias: true,
        }
    }

    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    pub fn use_bias(mut self, use_bias: bool) -> Self {
        self.use_bias = use_bias;
        self
    }

    /// The layer's weights for `inputs` input features (Kaiming-uniform, as burn's Linear).
    pub fn build(&self, inputs: usize, device: &Device) -> DenseLayer {
        DenseLayer {
            linear: LinearConfig::new(inputs, self.units).with_bias(self.use_bias).init(device),
            activation: self.activation,
        }
    }
}

/// A built [`Dense`] layer: a burn `Linear` and an activation.
#[derive(Module, Debug)]
pub struct DenseLayer {
    pub linear: Linear,
    #[module(skip)]
    pub activation: Activation,
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
