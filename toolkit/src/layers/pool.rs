//! Keras's `MaxPooling2D` and `AveragePooling2D`.

use super::LayerError;
use super::conv2d::image_shape;
use burn::module::Module;
use burn::nn::pool::{
    AvgPool2d as BurnAvgPool2d, AvgPool2dConfig, MaxPool2d as BurnMaxPool2d, MaxPool2dConfig,
};
use burn::tensor::Tensor;

fn pooled(
    layer: &'static str,
    input: &[usize],
    size: [usize; 2],
    strides: [usize; 2],
) -> Result<Vec<usize>, LayerError> {
    let [channels, height, width] = image_shape(layer, input)?;
    let side = |n: usize, k: usize, s: usize| {
        if n >= k { Ok((n - k) / s + 1) } else { Err(LayerError::TooSmall { layer, size: n, window: k }) }
    };
    Ok(vec![channels, side(height, size[0], strides[0])?, side(width, size[1], strides[1])?])
}

/// The largest value of each `pool_size` window (stride = pool size, as in Keras).
///
/// ```no_run
/// use fireside::prelude::*;
/// let pool = MaxPool2d::new(2);   // Keras: MaxPooling2D((2, 2))
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MaxPool2d {
    pub pool_size: [usize; 2],
    pub strides: [usize; 2],
}

impl MaxPool2d {
    pub fn new(pool_size: usize) -> Self {
        MaxPool2d { pool_size: [pool_size; 2], strides: [pool_size; 2] }
    }

    pub fn strides(mut self, strides: usize) -> Self {
        self.strides = [strides; 2];
        self
    }

    pub(crate) fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        pooled("MaxPool2d", input, self.pool_size, self.strides)
    }

    pub(crate) fn build(&self, input: &[usize]) -> Result<MaxPool2dLayer, LayerError> {
        self.output_shape(input)?;
        Ok(MaxPool2dLayer { pool: MaxPool2dConfig::new(self.pool_size).with_strides(self.strides).init() })
    }
}

/// A built [`MaxPool2d`].
#[derive(Module, Debug)]
pub struct MaxPool2dLayer {
    pub pool: BurnMaxPool2d,
}

impl MaxPool2dLayer {
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.pool.forward(x)
    }
}

/// The mean of each `pool_size` window (stride = pool size, as in Keras).
///
/// ```no_run
/// use fireside::prelude::*;
/// let pool = AvgPool2d::new(2);   // Keras: AveragePooling2D((2, 2))
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AvgPool2d {
    pub pool_size: [usize; 2],
    pub strides: [usize; 2],
}

impl AvgPool2d {
    pub fn new(pool_size: usize) -> Self {
        AvgPool2d { pool_size: [pool_size; 2], strides: [pool_size; 2] }
    }

    pub fn strides(mut self, strides: usize) -> Self {
        self.strides = [strides; 2];
        self
    }

    pub(crate) fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
        pooled("AvgPool2d", input, self.pool_size, self.strides)
    }

    pub(crate) fn build(&self, input: &[usize]) -> Result<AvgPool2dLayer, LayerError> {
        self.output_shape(input)?;
        Ok(AvgPool2dLayer { pool: AvgPool2dConfig::new(self.pool_size).with_strides(self.strides).init() })
    }
}

/// A built [`AvgPool2d`].
#[derive(Module, Debug)]
pub struct AvgPool2dLayer {
    pub pool: BurnAvgPool2d,
}

impl AvgPool2dLayer {
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.pool.forward(x)
    }
}
