//! Data sets for fireside's notebooks, loaded from files on disk; nothing is
//! ever downloaded.
//!
//! - [`Mnist`]: MNIST digits and Fashion-MNIST in their published IDX format
//!   ([`idx`]). [`Mnist::load`] uses the full MNIST when it is installed in
//!   [`data_dir`], and otherwise the subset of 10,000 real MNIST digits that
//!   ships with this crate, so a notebook works offline from the start.
//! - [`Cifar10`]: CIFAR-10 in its binary format ([`cifar`]), the full set
//!   when installed in [`data_dir`], else a small synthetic stand-in shipped
//!   with this crate (drawn shapes in CIFAR-10's classes, not photographs).
//! - [`ImageFolder`]: images in class subfolders (`train/cat/*.png`), as
//!   Keras's `flow_from_directory` reads them, resized to a target size;
//!   [`load_image`] for one file and [`ImageSet::save_to_folders`] to write
//!   a set in that layout.
//! - [`ImageSet`]: labelled images in memory, normalized to `[0, 1]` and laid
//!   out channels-first (`N × channels × rows × cols`), with the usual helpers:
//!   [`split`](ImageSet::split) into training and validation,
//!   [`shuffled`](ImageSet::shuffled), [`take`](ImageSet::take),
//!   [`batches`](ImageSet::batches), [`one_hot`].
//! - [`Imdb`]: labelled movie reviews in the IMDB (aclImdb) layout, the full
//!   set when installed, else 2,983 real review sentences shipped with this
//!   crate; [`text::Vocabulary`] and [`pad_sequences`] turn them into
//!   sequences as `keras.datasets.imdb` does.
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

pub mod cifar;
pub mod error;
pub mod idx;
pub mod imdb;
pub mod mnist;
pub mod text;

mod batch;
mod image_folder;
mod image_set;
mod location;
mod one_hot;

#[cfg(test)]
mod test_support;

pub use batch::{Batch, Batches};
pub use cifar::{CIFAR10_CLASS_NAMES, Cifar10, Cifar10Source};
pub use error::{DatasetError, Result};
pub use image_folder::{Image, ImageFolder, load_image};
pub use image_set::{ImageSet, SplitSize};
pub use imdb::{Imdb, ImdbSource, SENTIMENT_CLASS_NAMES, SHIPPED_IMDB_ENV, TextSet, shipped_imdb_dir};
pub use location::{
    DATA_DIR_ENV, SHIPPED_CIFAR10_ENV, SHIPPED_DATA_ENV, data_dir, shipped_cifar10_dir, shipped_data_dir,
};
pub use mnist::{FASHION_CLASS_NAMES, Mnist, MnistVariant, Source};
pub use one_hot::one_hot;
pub use text::{Side, Vocabulary, pad_sequences};
