//! Keras's `Conv2D`: `filters` convolutions of `kernel_size`, channels-first.

use super::{LayerError, Padding};
use crate::activations::Activation;
use burn::module::Module;
use burn::module::Param;
use burn::nn::conv::{Conv2d as BurnConv2d, Conv2dConfig};
use burn::nn::{Initializer, PaddingConfig2d};
use burn::tensor::{Device, Tensor};

/// A 2-D convolution over (N, C, H, W) images.
///
/// ```no_run
/// use fireside::prelude::*;
/// // Keras: Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1))
/// let conv = Conv2d::new(32, 3).activation(Activation::Relu).input_shape([1, 28, 28]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Conv2d {
    pub filters: usize,
    pub kernel_size: [usize; 2],
    pub stride: [usize; 2],
    pub padding: Padding,
    pub activation: Activation,
    pub input_shape: Option<Vec<usize>>,
}

impl Conv2d {
    /// `filters` output channels, a square kernel of `kernel_size`.
    pub fn new(filters: usize, kernel_size: usize) -> Self {
        Conv2d {
            filters,
            kernel_size: [kernel_size, kernel_size],
            stride: [1, 1],
            padding: Padding::Valid,
            activation: Activation::Linear,
            input_shape: None,
        }
    }

    pub fn kernel(mut self, height: usize, width: usize) -> Self {
        self.kernel_size = [height, width];
        self
    }

    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = [stride, stride];
        self
    }

    pub fn padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The shape of one input image, channels first: `[channels, height, width]`.
    pub fn input_shape(mut self, shape: [usize; 3]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    pub(crate) fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        let [channels, height, width] = image_shape("Conv2d", input)?;
        let _ = channels;
        let side = |size: usize, k: usize, s: usize| match self.padding {
            Padding::Valid if size >= k => Ok((size - k) / s + 1),
            Padding::Valid => Err(LayerError::TooSmall { layer: "Conv2d", size, window: k }),
            Padding::Same => Ok(size.div_ceil(s)),
        };
        Ok(vec![
            self.filters,
            side(height, self.kernel_size[0], self.stride[0])?,
            side(width, self.kernel_size[1], self.stride[1])?,
        ])
    }

    pub(crate) fn build(&self, input: &[usize], device: &Device) -> Result<Conv2dLayer, LayerError> {
        self.output_shape(input)?;
        let padding = match self.padding {
            Padding::Valid => PaddingConfig2d::Valid,
            Padding::Same => PaddingConfig2d::Same,
        };
        // Keras's initialization: Glorot-uniform kernels, zero biases.
        let mut conv = Conv2dConfig::new([input[0], self.filters], self.kernel_size)
            .with_stride(self.stride)
            .with_padding(padding)
            .with_initializer(Initializer::XavierUniform { gain: 1.0 })
            .init(device);
        if let Some(bias) = &conv.bias {
            conv.bias = Some(Param::from_tensor(bias.val().zeros_like()));
        }
        Ok(Conv2dLayer { conv, activation: self.activation })
    }
}

pub(crate) fn image_shape(layer: &'static str, input: &[usize]) -> Result<[usize; 3], LayerError> {
    match input {
        [c, h, w] => Ok([*c, *h, *w]),
        other => Err(LayerError::WrongRank {
            layer,
            expected: "images [channels, height, width]",
            got: other.to_vec(),
        }),
    }
}

/// A built [`Conv2d`]: a burn `Conv2d` module and an activation.
#[derive(Module, Debug)]
pub struct Conv2dLayer {
    pub conv: BurnConv2d,
    #[module(skip)]
    pub activation: Activation,
}

impl Conv2dLayer {
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.activation.apply(self.conv.forward(x))
    }
}
