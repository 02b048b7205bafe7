//! Keras's `Conv2D`: `filters` convolutions of `kernel_size`, channels-first.
//!
//! ```
//! use fireside::prelude::*;
//! // 3x3 kernels without padding take one pixel off each border.
//! let model = Sequential::with_input([1, 28, 28]).add(Conv2d::new(32, 3))?;
//! assert_eq!(model.output_shape(), [32, 26, 26]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{Batch, BuiltLayer, LayerDescription, LayerError, Padding};
use crate::activations::Activation;
use crate::fused::{self, Window};
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
///
/// PyTorch's `nn.Conv2d(1, 32, 3)` names the input channels too; here they
/// come from the previous layer's output.
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::new().add(Conv2d::new(32, 3).input_shape([1, 28, 28]))?;
/// assert_eq!(model.num_params(), 32 * 3 * 3 + 32);   // weights + biases, as Keras counts
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Conv2d {
    /// The number of output channels (feature maps).
    pub filters: usize,
    /// The window's `[height, width]`.
    pub kernel_size: [usize; 2],
    /// The step between windows, `[vertical, horizontal]` (default 1).
    pub stride: [usize; 2],
    /// `Valid` (default) or `Same`.
    pub padding: Padding,
    /// Applied to the output (default `Linear`: none).
    pub activation: Activation,
    /// `[channels, height, width]` of one input image, for a model's first layer.
    pub input_shape: Option<Vec<usize>>,
}

impl Conv2d {
    /// `filters` output channels, a square kernel of `kernel_size`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let conv = Conv2d::new(64, 3);   // Keras: Conv2D(64, (3, 3))
    /// assert_eq!(conv.kernel_size, [3, 3]);
    /// ```
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

    /// A rectangular kernel of `height` x `width` instead of a square one.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([1, 28, 28]).add(Conv2d::new(8, 3).kernel(3, 5))?;
    /// assert_eq!(model.output_shape(), [8, 26, 24]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kernel(mut self, height: usize, width: usize) -> Self {
        self.kernel_size = [height, width];
        self
    }

    /// The step between windows, in both directions (Keras's `strides`, default 1).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([1, 28, 28]).add(Conv2d::new(8, 3).stride(2))?;
    /// assert_eq!(model.output_shape(), [8, 13, 13]);   // (28 - 3) / 2 + 1
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = [stride, stride];
        self
    }

    /// Zero padding: `Padding::Same` keeps the image size at stride 1.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([1, 28, 28]).add(Conv2d::new(8, 3).padding(Padding::Same))?;
    /// assert_eq!(model.output_shape(), [8, 28, 28]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// The activation applied to the output (Keras's `activation='relu'`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let conv = Conv2d::new(32, 3).activation(Activation::Relu);
    /// assert_eq!(conv.activation, Activation::Relu);
    /// ```
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The shape of one input image, channels first: `[channels, height, width]`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// // Keras: input_shape=(28, 28, 1)
    /// let model = Sequential::new().add(Conv2d::new(32, 3).input_shape([1, 28, 28]))?;
    /// assert_eq!(model.input_shape(), [1, 28, 28]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_shape(mut self, shape: [usize; 3]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }
}

impl LayerDescription for Conv2d {
    type Built = Conv2dLayer;

    fn input_shape(&self) -> Option<Vec<usize>> {
        self.input_shape.clone()
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
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

    fn build(&self, input: &[usize], device: &Device) -> Result<Conv2dLayer, LayerError> {
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
///
/// ```
/// use fireside::prelude::*;
/// let model = Sequential::with_input([1, 28, 28]).add(Conv2d::new(32, 3))?;
/// let Layer::Conv2d(conv) = &model.layers[0] else { unreachable!() };
/// assert_eq!(conv.conv.weight.val().dims(), [32, 1, 3, 3]);   // [out, in, height, width]
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Module, Debug)]
pub struct Conv2dLayer {
    /// burn's convolution, with the weights.
    pub conv: BurnConv2d,
    /// Applied after the convolution.
    #[module(skip)]
    pub activation: Activation,
}

impl Conv2dLayer {
    /// Convolves a batch of images (N, C, H, W) and applies the activation.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let model = Sequential::with_input([1, 5, 5]).add(Conv2d::new(4, 3))?;
    /// let Layer::Conv2d(conv) = &model.layers[0] else { unreachable!() };
    /// let y = conv.forward(Tensor::<4>::ones([2, 1, 5, 5], &device()));
    /// assert_eq!(y.dims(), [2, 4, 3, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match (&self.conv.bias, self.fused_window(&x)) {
            // ReLU, the usual activation of a convolution, inside the fused operation.
            (Some(bias), Some(window)) => {
                let relu = self.activation == Activation::Relu;
                let convolved = fused::conv2d(x, self.conv.weight.val(), bias.val(), window, relu);
                if relu { convolved } else { self.activation.apply(convolved) }
            }
            _ => self.activation.apply(self.conv.forward(x)),
        }
    }

    /// Where the fused convolution (`fireside::fused::conv2d`, flex's CPU
    /// path) can take over from burn's: its windows for these images.
    fn fused_window(&self, x: &Tensor<4>) -> Option<Window> {
        let conv = &self.conv;
        if !fused::available(x) || conv.groups != 1 || conv.dilation != [1, 1] {
            return None;
        }
        let [_, _, height, width] = x.dims();
        let side = |size: usize, k: usize, stride: usize, side: usize| -> Option<(usize, usize)> {
            // (zeros before, output size), as burn's `Conv2d` pads.
            let (before, after) = match conv.padding {
                PaddingConfig2d::Valid => (0, 0),
                PaddingConfig2d::Same => {
                    let total = ((size.div_ceil(stride) - 1) * stride + k).saturating_sub(size);
                    (total / 2, total - total / 2)
                }
                PaddingConfig2d::Explicit(top, left, bottom, right) => {
                    if side == 0 {
                        (top, bottom)
                    } else {
                        (left, right)
                    }
                }
            };
            let padded = (size + before + after).checked_sub(k)?;
            Some((before, padded / stride + 1))
        };
        let (top, rows) = side(height, conv.kernel_size[0], conv.stride[0], 0)?;
        let (left, columns) = side(width, conv.kernel_size[1], conv.stride[1], 1)?;
        Some(Window { stride: conv.stride, padding: [top, left], output: [rows, columns] })
    }
}

impl BuiltLayer for Conv2dLayer {
    const KIND: &'static str = "Conv2D";

    fn forward(&self, x: Batch) -> Batch {
        match x {
            Batch::Images(t) => Batch::Images(Conv2dLayer::forward(self, t)),
            x => self.wrong_batch(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// Element by element within `tolerance`, relative to the general path's size.
    fn assert_close(what: &str, fused: Vec<f32>, general: Vec<f32>, tolerance: f32) {
        assert_eq!(fused.len(), general.len(), "{what}");
        for (f, g) in fused.iter().zip(&general) {
            assert!((f - g).abs() < tolerance * (1.0 + g.abs()), "{what}: fused {f} against {g}");
        }
    }

    #[test]
    fn the_fused_path_pads_steps_and_activates_as_burns_conv2d() {
        let device = crate::device::device();
        let cases = [
            (Conv2d::new(4, 3), [2, 7, 7]),
            (Conv2d::new(4, 3).activation(Activation::Relu), [2, 7, 7]),
            (Conv2d::new(4, 3).padding(Padding::Same).activation(Activation::Tanh), [2, 7, 7]),
            (Conv2d::new(3, 2).padding(Padding::Same).stride(2).activation(Activation::Relu), [3, 7, 8]),
            (Conv2d::new(2, 4).padding(Padding::Same), [1, 6, 5]),
            (Conv2d::new(2, 3).stride(2), [1, 8, 9]),
        ];
        for (config, [c, h, w]) in cases {
            let mut layer = config.build(&[c, h, w], &device).unwrap();
            // A non-zero bias, so that its gradient and place are checked too.
            let bias = layer.conv.bias.as_ref().unwrap().val();
            layer.conv.bias = Some(Param::from_tensor(bias.random_like(Distribution::Normal(0.0, 1.0))));
            let x = Tensor::<4>::random([3, c, h, w], Distribution::Normal(0.0, 1.0), &device).require_grad();
            if layer.fused_window(&x).is_none() {
                return; // the fused convolution runs on flex, the tests' backend on a machine without a GPU
            }
            let fused = layer.forward(x.clone());
            let general = layer.activation.apply(layer.conv.forward(x.clone()));
            assert_eq!(fused.dims(), general.dims(), "{config:?}");
            assert_close(&format!("{config:?}"), fused.clone().values(), general.clone().values(), 1e-4);
            let weights = Tensor::<4>::random(general.dims(), Distribution::Normal(0.0, 1.0), &device);
            let fused_grads = (fused * weights.clone()).sum().backward();
            let general_grads = (general * weights).sum().backward();
            let weight = layer.conv.weight.val();
            let grad = |tensor: &Tensor<4>, grads| tensor.grad(grads).unwrap().values();
            assert_close("kernel gradient", grad(&weight, &fused_grads), grad(&weight, &general_grads), 1e-3);
            assert_close("input gradient", grad(&x, &fused_grads), grad(&x, &general_grads), 1e-4);
        }
    }
}
