//! What every notebook has in scope (`use fireside::prelude::*;`): tensors,
//! layers, models, losses, metrics, optimizers, plots and rich display.
//!
//! ```
//! use fireside::prelude::*;
//! let x = Tensor::<2>::from_floats([[-1.0, 2.0]], &device());
//! assert_eq!(relu(x).values(), vec![0.0, 2.0]);
//! ```

pub use burn;
pub use burn::module::Module;
pub use burn::tensor::{Bool, Device, Distribution, Int, Tensor, TensorData};

pub use crate::activations::{
    Activation, relu, relu_derivative, sigmoid, sigmoid_derivative, softmax, tanh, tanh_derivative,
};
pub use crate::augment::ImageDataGenerator;
pub use crate::callbacks::{self, Callback, EarlyStopping};
pub use crate::data;
pub use crate::device::device;
pub use crate::display::{
    DisplayHandle, ProgressBar, Rich, clear_output, display, html, markdown, png, progress, svg,
};
// Let a cell's last expression render richly, or as `Debug` text, on the
// first compile.
pub use crate::display::ShowDebug as _;
pub use crate::display::ShowRich as _;
pub use crate::kernel::interrupted;
pub use crate::layers::attention::{Attention, scaled_dot_product_attention};
pub use crate::layers::{
    AvgPool2d, Batch, Conv2d, Dense, DenseLayer, Dropout, Flatten, Layer, MaxPool2d, Padding, Regularizer,
};
pub use crate::layers::{Embedding, Gru, GruLayer, LayerError, Lstm, LstmLayer, SimpleRnn, SimpleRnnLayer};
pub use crate::losses::{self, Loss};
pub use crate::metrics::{self, ConfusionMatrix};
pub use crate::model::Sequential;
pub use crate::models::gan::Gan;
pub use crate::models::mixture::GaussianMixture;
pub use crate::models::tree::{RecursiveNet, RecursiveNetConfig, Tree};
pub use crate::optimizers::Optimizer;
pub use crate::plot::{HeatMap, ImageGrid, Plot};
pub use crate::tensor_view::{TensorView, Values};
pub use crate::training::{BatchSource, Evaluation, Fit, FitError, History, Metric, Model, Targets};
