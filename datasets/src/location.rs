//! Where data sets are looked for on disk.

use std::env;
use std::path::PathBuf;

/// The environment variable that overrides [`data_dir`].
///
/// ```
/// assert_eq!(fireside_datasets::DATA_DIR_ENV, "FIRESIDE_DATA");
/// ```
pub const DATA_DIR_ENV: &str = "FIRESIDE_DATA";

/// The environment variable that overrides [`shipped_data_dir`].
///
/// ```
/// assert_eq!(fireside_datasets::SHIPPED_DATA_ENV, "FIRESIDE_SHIPPED_DATA");
/// ```
pub const SHIPPED_DATA_ENV: &str = "FIRESIDE_SHIPPED_DATA";

/// The environment variable that overrides [`shipped_cifar10_dir`].
///
/// ```
/// assert_eq!(fireside_datasets::SHIPPED_CIFAR10_ENV, "FIRESIDE_SHIPPED_CIFAR10");
/// ```
pub const SHIPPED_CIFAR10_ENV: &str = "FIRESIDE_SHIPPED_CIFAR10";

/// The folder where full data sets are looked for, each in its own
/// subfolder (`mnist/`, `fashion-mnist/`, `cifar-10-batches-bin/`).
///
/// It is `$FIRESIDE_DATA` when that is set, otherwise `fireside` in the
/// platform's cache folder: `$XDG_CACHE_HOME` or `~/.cache` on Linux,
/// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows. Nothing is
/// created or downloaded.
///
/// ```
/// let mnist_dir = fireside_datasets::data_dir().join("mnist");
/// println!("put train-images-idx3-ubyte.gz and the others in {}", mnist_dir.display());
/// ```
pub fn data_dir() -> PathBuf {
    env_path(DATA_DIR_ENV).unwrap_or_else(|| cache_dir().join("fireside"))
}

/// The folder that holds the MNIST subset shipped with this crate
/// (`images-idx3-ubyte.gz` and `labels-idx1-ubyte.gz`).
///
/// It is `$FIRESIDE_SHIPPED_DATA` when that is set, otherwise this crate's
/// `data/mnist-subset` folder, found through the path the crate was compiled
/// from: nothing is embedded in the binary.
///
/// ```
/// let dir = fireside_datasets::shipped_data_dir();
/// assert!(dir.ends_with("mnist-subset") || std::env::var_os("FIRESIDE_SHIPPED_DATA").is_some());
/// ```
pub fn shipped_data_dir() -> PathBuf {
    env_path(SHIPPED_DATA_ENV)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("FIRESIDE_DATASETS_DATA"), "/mnist-subset")))
}

/// The folder that holds the CIFAR-10-like set shipped with this crate
/// (`data_batch_1.bin`, `test_batch.bin`, `batches.meta.txt`).
///
/// It is `$FIRESIDE_SHIPPED_CIFAR10` when that is set, otherwise this
/// crate's `data/cifar10-subset` folder, found like [`shipped_data_dir`].
///
/// ```
/// let dir = fireside_datasets::shipped_cifar10_dir();
/// assert!(dir.ends_with("cifar10-subset") || std::env::var_os("FIRESIDE_SHIPPED_CIFAR10").is_some());
/// ```
pub fn shipped_cifar10_dir() -> PathBuf {
    env_path(SHIPPED_CIFAR10_ENV)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("FIRESIDE_DATASETS_DATA"), "/cifar10-subset")))
}

/// The value of an environment variable as a path, if it is set and not empty.
fn env_path(name: &str) -> Option<PathBuf> {
    env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from)
}

/// The user's home folder, or the temporary folder if it is unknown.
fn home_dir() -> PathBuf {
    env_path("HOME").or_else(|| env_path("USERPROFILE")).unwrap_or_else(env::temp_dir)
}

#[cfg(target_os = "macos")]
fn cache_dir() -> PathBuf {
    home_dir().join("Library/Caches")
}

#[cfg(windows)]
fn cache_dir() -> PathBuf {
    env_path("LOCALAPPDATA").unwrap_or_else(|| home_dir().join("AppData/Local"))
}

#[cfg(not(any(target_os = "macos", windows)))]
fn cache_dir() -> PathBuf {
    // The XDG specification ignores relative values.
    env_path("XDG_CACHE_HOME").filter(|dir| dir.is_absolute()).unwrap_or_else(|| home_dir().join(".cache"))
}
