//! From data sets to tensors, and the run profile notebooks read.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let mnist = fireside::datasets::Mnist::load().unwrap();
//! let x = data::images(&mnist.train);   // (N, 1, 28, 28), values in [0, 1]
//! let y = data::labels(&mnist.train);   // (N), class indices
//! ```

use crate::datasets::ImageSet;
use burn::tensor::{Int, Tensor, TensorData};

/// The images as an (N, 1, rows, cols) tensor on the toolkit's device, the
/// channels-first layout `Conv2d` takes (PyTorch's layout; Keras's default is
/// channels-last).
///
/// ```
/// use fireside::prelude::*;
/// // Two 3×3 images; usually a loaded set such as `Mnist::load().unwrap().train`.
/// let set = fireside::datasets::ImageSet { images: vec![0.5; 18], labels: vec![0, 1], rows: 3, cols: 3,
///     class_names: vec!["cat".into(), "dog".into()] };
/// assert_eq!(data::images(&set).dims(), [2, 1, 3, 3]);
/// ```
pub fn images(set: &ImageSet) -> Tensor<4> {
    let data = TensorData::new(set.images.clone(), set.shape());
    Tensor::from_data(data, &crate::device::device())
}

/// The images as an (N, rows·cols) tensor, for dense networks (what Keras's
/// `Flatten()` or `x.reshape(-1, 784)` gives).
///
/// ```
/// use fireside::prelude::*;
/// // Two 3×3 images; usually a loaded set such as `Mnist::load().unwrap().train`.
/// let set = fireside::datasets::ImageSet { images: vec![0.5; 18], labels: vec![0, 1], rows: 3, cols: 3,
///     class_names: vec!["cat".into(), "dog".into()] };
/// assert_eq!(data::flat_images(&set).dims(), [2, 9]);
/// ```
pub fn flat_images(set: &ImageSet) -> Tensor<2> {
    let data = TensorData::new(set.images.clone(), [set.len(), set.pixels_per_image()]);
    Tensor::from_data(data, &crate::device::device())
}

/// The class labels as an (N) tensor of indices, the targets of a sparse
/// categorical cross-entropy.
///
/// ```
/// use fireside::prelude::*;
/// // Two 3×3 images; usually a loaded set such as `Mnist::load().unwrap().train`.
/// let set = fireside::datasets::ImageSet { images: vec![0.5; 18], labels: vec![0, 1], rows: 3, cols: 3,
///     class_names: vec!["cat".into(), "dog".into()] };
/// assert_eq!(data::labels(&set).values(), vec![0, 1]);
/// ```
pub fn labels(set: &ImageSet) -> Tensor<1, Int> {
    let values: Vec<i64> = set.labels.iter().map(|&l| l as i64).collect();
    Tensor::from_data(TensorData::new(values, [set.len()]), &crate::device::device())
}

/// Whether the notebook runs in CI (`FIRESIDE_PROFILE=ci`): the same code
/// with fewer epochs or samples.
///
/// ```
/// use fireside::prelude::*;
/// let samples = if data::is_ci() { 1_000 } else { 60_000 };
/// assert!(samples > 0);
/// ```
pub fn is_ci() -> bool {
    std::env::var("FIRESIDE_PROFILE").is_ok_and(|p| p == "ci")
}

/// `ci` in a CI run, `full` otherwise: `let epochs = data::ci_or(2, 10);`
///
/// ```
/// use fireside::prelude::*;
/// let epochs = data::ci_or(2, 10);
/// assert_eq!(epochs, if data::is_ci() { 2 } else { 10 });
/// ```
pub fn ci_or<T>(ci: T, full: T) -> T {
    if is_ci() { ci } else { full }
}
