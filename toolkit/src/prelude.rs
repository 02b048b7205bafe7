//! What every notebook has in scope (`use fireside::prelude::*;`).

pub use burn;
pub use burn::module::Module;
pub use burn::tensor::{Bool, Device, Distribution, Int, Tensor, TensorData};

pub use crate::activations::{
    Activation, relu, relu_derivative, sigmoid, sigmoid_derivative, softmax, tanh, tanh_derivative,
};
pub use crate::device::device;
pub use crate::display::{
    DisplayHandle, ProgressBar, Rich, clear_output, display, html, markdown, png, progress, svg,
};
// The traits that let a cell's last expression render richly.
pub use crate::display::{ShowDebug as _, ShowRich as _};
pub use crate::kernel::interrupted;
pub use crate::layers::{Dense, DenseLayer};
pub use crate::plot::Plot;
pub use crate::tensor_view::{TensorView, Values};
