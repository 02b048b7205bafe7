//! Keras's `MaxPooling2D` and `AveragePooling2D` (PyTorch's `nn.MaxPool2d`,
//! `nn.AvgPool2d`): they shrink each feature map by summarizing windows.
//!
//! ```
//! use fireside::prelude::*;
//! let model = Sequential::with_input([32, 26, 26]).add(MaxPool2d::new(2))?;
//! assert_eq!(model.output_shape(), [32, 13, 13]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::conv2d::image_shape;
use super::{Batch, BuiltLayer, LayerDescription, LayerError};
use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::pool::{
    AvgPool2d as BurnAvgPool2d, AvgPool2dConfig, MaxPool2d as BurnMaxPool2d, MaxPool2dConfig,
};
use burn::tensor::{Device, Tensor};

use crate::fused;

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

/// The two pooling layers differ only in the burn module they build (and Keras's name).
macro_rules! pooling_layer {
    ($(#[$doc:meta])* $spec:ident, $layer:ident, $kind:literal, $burn:ident, $config:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $spec {
            /// The window's `[height, width]`.
            pub pool_size: [usize; 2],
            /// The step between windows, `[vertical, horizontal]`.
            pub strides: [usize; 2],
        }

        impl $spec {
            /// A square window of `pool_size`, stride = pool size (Keras's default).
            ///
            /// ```
            /// use fireside::prelude::*;
            /// let model = Sequential::with_input([8, 28, 28]).add(MaxPool2d::new(2))?.add(AvgPool2d::new(2))?;
            /// assert_eq!(model.output_shape(), [8, 7, 7]);
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn new(pool_size: usize) -> Self {
                $spec { pool_size: [pool_size; 2], strides: [pool_size; 2] }
            }

            /// The step between windows (Keras's `strides`); windows overlap when
            /// it is smaller than the pool size.
            ///
            /// ```
            /// use fireside::prelude::*;
            /// let model = Sequential::with_input([8, 28, 28]).add(MaxPool2d::new(2).strides(1))?;
            /// assert_eq!(model.output_shape(), [8, 27, 27]);   // AvgPool2d alike
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn strides(mut self, strides: usize) -> Self {
                self.strides = [strides; 2];
                self
            }

        }

        impl LayerDescription for $spec {
            type Built = $layer;

            fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, LayerError> {
                pooled(stringify!($spec), input, self.pool_size, self.strides)
            }

            fn build(&self, input: &[usize], _device: &Device) -> Result<$layer, LayerError> {
                self.output_shape(input)?;
                Ok($layer { pool: $config::new(self.pool_size).with_strides(self.strides).init() })
            }
        }

        #[doc = concat!("A built [`", stringify!($spec), "`].")]
        ///
        /// ```
        /// use fireside::prelude::*;
        /// let model = Sequential::with_input([1, 4, 4]).add(MaxPool2d::new(2))?.add(AvgPool2d::new(2))?;
        /// assert_eq!(model.layers[1].kind(), "AveragePooling2D");
        /// assert_eq!(model.num_params(), 0);   // pooling has no weights
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[derive(Module, Debug)]
        pub struct $layer {
            /// burn's pooling module.
            pub pool: $burn,
        }

        impl $layer {
            /// Pools a batch of images (N, C, H, W), each channel on its own.
            ///
            /// ```
            /// use fireside::prelude::*;
            /// let model = Sequential::with_input([1, 2, 2]).add(MaxPool2d::new(2))?;
            /// let Layer::MaxPool2d(pool) = &model.layers[0] else { unreachable!() };
            /// let x = Tensor::<4>::from_floats([[[[1.0, 2.0], [3.0, 4.0]]]], &device());
            /// assert_eq!(pool.forward(x).values(), vec![4.0]);   // AvgPool2d gives 2.5
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
                self.pool_fast(x)
            }
        }

        impl BuiltLayer for $layer {
            const KIND: &'static str = $kind;

            fn forward(&self, x: Batch) -> Batch {
                match x {
                    Batch::Images(t) => Batch::Images($layer::forward(self, t)),
                    x => self.wrong_batch(x),
                }
            }
        }
    };
}

pooling_layer!(
    /// The largest value of each `pool_size` window.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let pool = MaxPool2d::new(2);   // Keras: MaxPooling2D((2, 2))
    /// ```
    MaxPool2d, MaxPool2dLayer, "MaxPooling2D", BurnMaxPool2d, MaxPool2dConfig
);

pooling_layer!(
    /// The mean of each `pool_size` window.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let pool = AvgPool2d::new(2);   // Keras: AveragePooling2D((2, 2))
    /// ```
    AvgPool2d, AvgPool2dLayer, "AveragePooling2D", BurnAvgPool2d, AvgPool2dConfig
);

impl MaxPool2dLayer {
    /// The fused max pooling (`fireside::fused::max_pool2d`) where it runs
    /// (flex, the CPU), else burn's.
    fn pool_fast(&self, x: Tensor<4>) -> Tensor<4> {
        let pool = &self.pool;
        let plain = pool.padding == PaddingConfig2d::Valid
            && pool.dilation == [1, 1]
            && !pool.ceil_mode
            && pool.kernel_size[0] * pool.kernel_size[1] <= 256;
        if plain && fused::available(&x) {
            fused::max_pool2d(x, pool.kernel_size, pool.stride)
        } else {
            pool.forward(x)
        }
    }
}

impl AvgPool2dLayer {
    /// burn's average pooling (no fused one: no model the benchmarks measure uses it).
    fn pool_fast(&self, x: Tensor<4>) -> Tensor<4> {
        self.pool.forward(x)
    }
}
