//! Data sets for fireside's notebooks, loaded from files on disk; nothing is
//! ever downloaded.
//!
//! - [`Mnist`]: MNIST digits and Fashion-MNIST in their published IDX format
//!   ([`idx`]). [`Mnist::load`] uses the full MNIST when it is installed in
//!   [`data_dir`], and otherwise the subset of 10,000 real MNIST digits that
//!   ships with this crate, so a notebook works offline from the start.
//! - [`ImageSet`]: labelled images in memory, normalized to `[0, 1]` and laid
//!   out channels-first (`N × 1 × rows × cols`), with the usual helpers:
//!   [`split`](ImageSet::split) into training and validation,
//!   [`shuffled`](ImageSet::shuffled), [`take`](ImageSet::take),
//!   [`batches`](ImageSet::batches), [`one_hot`].
//! - [`DatasetError`]: every error names the file concerned, what is wrong
//!   and how to fix it.
//!
//! ```
//! use fireside_datasets::Mnist;
//!
//! let mnist = Mnist::shipped_subset()?; // or Mnist::load() to prefer the full set
//! println!("{mnist}");
//! let (train, validation) = mnist.train.split(0.1, 42);
//! for batch in train.shuffled(1).batches(64) {
//!     // batch.images: 64 × 1 × 28 × 28 pixels, batch.labels: 64 digits
//! #   assert_eq!(batch.images.len(), batch.len() * 784);
//! }
//! # assert_eq!(validation.len(), 800);
//! # Ok::<(), fireside_datasets::DatasetError>(())
//! ```
//!
//! To use the full data sets, put their four files (raw or `.gz`, as
//! published) in `<data_dir>/mnist/` or `<data_dir>/fashion-mnist/`, where
//! [`data_dir`] is `$FIRESIDE_DATA`, or `~/.cache/fireside` (Linux) or
//! `~/Library/Caches/fireside` (macOS).

pub mod error;
pub mod idx;
pub mod mnist;

mod batch;
mod image_set;
mod location;
mod one_hot;

#[cfg(test)]
mod test_support;

pub use batch::{Batch, Batches};
pub use error::{DatasetError, Result};
pub use image_set::{ImageSet, SplitSize};
pub use location::{DATA_DIR_ENV, SHIPPED_DATA_ENV, data_dir, shipped_data_dir};
pub use mnist::{FASHION_CLASS_NAMES, Mnist, MnistVariant, Source};
pub use one_hot::one_hot;
