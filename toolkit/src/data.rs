//! From data sets to tensors, and the run profile notebooks read.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let mnist = fireside::datasets::Mnist::load().unwrap();
//! let x = data::images(&mnist.train);   // (N, 1, 28, 28), values in [0, 1]
//! let y = data::labels(&mnist.train);   // (N), class indices
//! let cifar = fireside::datasets::Cifar10::load().unwrap();
//! let x = data::images(&cifar.train);   // (N, 3, 32, 32)
//! let y = data::one_hot_labels(&cifar.train); // (N, 10), for categorical cross-entropy
//! ```

use crate::datasets::{Image, ImageSet};
use burn::tensor::{Int, Tensor, TensorData};

/// The images as an (N, channels, rows, cols) tensor on the toolkit's
/// device: (N, 1, 28, 28) for MNIST, (N, 3, 32, 32) for CIFAR-10. That is the
/// channels-first layout `Conv2d` takes (PyTorch's layout; Keras's default is
/// channels-last).
///
/// ```
/// use fireside::prelude::*;
/// // Two 3×3 images; usually a loaded set such as `Mnist::load().unwrap().train`.
/// let set = fireside::datasets::ImageSet { images: vec![0.5; 18], labels: vec![0, 1], channels: 1, rows: 3, cols: 3,
///     class_names: vec!["cat".into(), "dog".into()] };
/// assert_eq!(data::images(&set).dims(), [2, 1, 3, 3]);
///
/// // Colour: one 2×2 RGB image, its red plane, then green, then blue.
/// let rgb = fireside::datasets::ImageSet { images: vec![0.1; 12], labels: vec![0], channels: 3, rows: 2,
///     cols: 2, class_names: vec!["cat".into()] };
/// assert_eq!(data::images(&rgb).dims(), [1, 3, 2, 2]);
/// ```
pub fn images(set: &ImageSet) -> Tensor<4> {
    let data = TensorData::new(set.images.clone(), set.shape());
    Tensor::from_data(data, &crate::device::device())
}

/// One image as a batch of one, a (1, channels, rows, cols) tensor: what
/// Keras's `x.reshape((1,) + x.shape)` does before `model.predict(x)`.
///
/// ```
/// use fireside::prelude::*;
/// // Usually `fireside::datasets::load_image("cat.png", (32, 32))?`.
/// let image = fireside::datasets::Image { values: vec![0.5; 12], channels: 3, rows: 2, cols: 2 };
/// assert_eq!(data::image(&image).dims(), [1, 3, 2, 2]);
/// ```
pub fn image(image: &Image) -> Tensor<4> {
    let [channels, rows, cols] = image.shape();
    let data = TensorData::new(image.values.clone(), [1, channels, rows, cols]);
    Tensor::from_data(data, &crate::device::device())
}

/// The images as an (N, channels·rows·cols) tensor, for dense networks (what
/// Keras's `Flatten()` or `x.reshape(-1, 784)` gives).
///
/// ```
/// use fireside::prelude::*;
/// // Two 3×3 images; usually a loaded set such as `Mnist::load().unwrap().train`.
/// let set = fireside::datasets::ImageSet { images: vec![0.5; 18], labels: vec![0, 1], channels: 1, rows: 3, cols: 3,
///     class_names: vec!["cat".into(), "dog".into()] };
/// assert_eq!(data::flat_images(&set).dims(), [2, 9]);
/// ```
pub fn flat_images(set: &ImageSet) -> Tensor<2> {
    let data = TensorData::new(set.images.clone(), [set.len(), set.values_per_image()]);
    Tensor::from_data(data, &crate::device::device())
}

/// The class labels as an (N) tensor of indices, the targets of a sparse
/// categorical cross-entropy.
///
/// ```
/// use fireside::prelude::*;
/// // Two 3×3 images; usually a loaded set such as `Mnist::load().unwrap().train`.
/// let set = fireside::datasets::ImageSet { images: vec![0.5; 18], labels: vec![0, 1], channels: 1, rows: 3, cols: 3,
///     class_names: vec!["cat".into(), "dog".into()] };
/// assert_eq!(data::labels(&set).values(), vec![0, 1]);
/// ```
pub fn labels(set: &ImageSet) -> Tensor<1, Int> {
    let values: Vec<i64> = set.labels.iter().map(|&l| l as i64).collect();
    Tensor::from_data(TensorData::new(values, [set.len()]), &crate::device::device())
}

/// The class labels one-hot encoded as an (N, classes) tensor: the targets
/// of a categorical cross-entropy (Keras's `to_categorical(y)`, or
/// `class_mode='categorical'` of `flow_from_directory`).
///
/// ```
/// use fireside::prelude::*;
/// let set = fireside::datasets::ImageSet { images: vec![0.5; 18], labels: vec![0, 1], channels: 1, rows: 3,
///     cols: 3, class_names: vec!["cat".into(), "dog".into()] };
/// let y = data::one_hot_labels(&set);
/// assert_eq!(y.dims(), [2, 2]);
/// assert_eq!(y.values(), vec![1.0, 0.0, 0.0, 1.0]);
/// ```
pub fn one_hot_labels(set: &ImageSet) -> Tensor<2> {
    let data = TensorData::new(set.one_hot_labels(), [set.len(), set.class_count()]);
    Tensor::from_data(data, &crate::device::device())
}

/// Encoded texts (word indices, e.g. from
/// [`Vocabulary::encode_all`](crate::datasets::Vocabulary::encode_all)) as an
/// (N, maxlen) tensor, each padded with 0 or truncated at the front: Keras's
/// `pad_sequences(x, maxlen)` with its defaults, the input of an `Embedding`.
///
/// ```
/// use fireside::prelude::*;
/// let x = data::sequences(&[vec![1, 4, 5], vec![1, 6, 7, 8, 9]], 4);
/// assert_eq!(x.dims(), [2, 4]);
/// assert_eq!(x.values(), vec![0, 1, 4, 5, 6, 7, 8, 9]);
/// ```
pub fn sequences<S: AsRef<[u32]>>(sequences: &[S], maxlen: usize) -> Tensor<2, Int> {
    use crate::datasets::text::{Side, pad_sequences};
    let padded = pad_sequences(sequences, maxlen, Side::Pre, Side::Pre, 0);
    let values: Vec<i64> = padded.into_iter().flatten().map(i64::from).collect();
    Tensor::from_data(TensorData::new(values, [sequences.len(), maxlen]), &crate::device::device())
}

/// Binary labels (0 or 1, e.g. a [`TextSet`](crate::datasets::TextSet)'s
/// `labels`) as an (N, 1) tensor of 0.0 and 1.0: the targets of a binary
/// cross-entropy after a `Dense(1)` with a sigmoid.
///
/// ```
/// use fireside::prelude::*;
/// let y = data::binary_labels(&[1, 0, 1]);
/// assert_eq!(y.dims(), [3, 1]);
/// assert_eq!(y.values(), vec![1.0, 0.0, 1.0]);
/// ```
pub fn binary_labels(labels: &[u8]) -> Tensor<2> {
    let values: Vec<f32> = labels.iter().map(|&label| f32::from(label)).collect();
    Tensor::from_data(TensorData::new(values, [labels.len(), 1]), &crate::device::device())
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
