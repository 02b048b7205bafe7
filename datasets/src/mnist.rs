//! MNIST and Fashion-MNIST: the full sets when installed, else the shipped
//! subset of 10,000 MNIST digits.
//!
//! A full set is the four files published with it, raw or gzipped, in a
//! subfolder of [`data_dir`]:
//!
//! ```text
//! <data_dir>/mnist/           train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
//! <data_dir>/fashion-mnist/   t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]
//! ```
//!
//! The shipped subset ([`shipped_data_dir`]) is 10,000 real MNIST digits:
//! its first 8,000 are the training set and its last 2,000 the test set,
//! with every digit in both, in the proportions of the whole subset.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{DatasetError, Result};
use crate::idx::IdxArray;
use crate::image_set::ImageSet;
use crate::location::{data_dir, shipped_data_dir};

/// The class names of Fashion-MNIST, indexed by label.
///
/// ```
/// assert_eq!(fireside_datasets::FASHION_CLASS_NAMES[9], "Ankle boot");
/// ```
pub const FASHION_CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The file names of a full set, as published, without `.gz`.
const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";
const FULL_SET_FILES: [&str; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

/// The file names of the shipped subset.
const SHIPPED_IMAGES: &str = "images-idx3-ubyte.gz";
const SHIPPED_LABELS: &str = "labels-idx1-ubyte.gz";

/// How many of the shipped images, the last ones, form its test set.
const SHIPPED_TEST_LEN: usize = 2000;

/// Which of the two data sets in MNIST's format.
///
/// ```
/// use fireside_datasets::MnistVariant;
///
/// assert_eq!(MnistVariant::Fashion.name(), "Fashion-MNIST");
/// assert_eq!(MnistVariant::Digits.dir_name(), "mnist");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MnistVariant {
    /// Handwritten digits 0 to 9.
    Digits,
    /// Zalando's Fashion-MNIST: pictures of 10 kinds of clothing.
    Fashion,
}

impl MnistVariant {
    /// The data set's usual name: `"MNIST"` or `"Fashion-MNIST"`.
    ///
    /// ```
    /// assert_eq!(fireside_datasets::MnistVariant::Digits.name(), "MNIST");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Digits => "MNIST",
            Self::Fashion => "Fashion-MNIST",
        }
    }

    /// The subfolder of [`data_dir`] that holds the full set.
    ///
    /// ```
    /// use fireside_datasets::{MnistVariant, data_dir};
    ///
    /// let dir = data_dir().join(MnistVariant::Fashion.dir_name());
    /// assert!(dir.ends_with("fashion-mnist"));
    /// ```
    pub fn dir_name(self) -> &'static str {
        match self {
            Self::Digits => "mnist",
            Self::Fashion => "fashion-mnist",
        }
    }

    /// The class names, indexed by label: `"0"` to `"9"` for digits,
    /// [`FASHION_CLASS_NAMES`] for Fashion-MNIST.
    ///
    /// ```
    /// let names = fireside_datasets::MnistVariant::Fashion.class_names();
    /// assert_eq!(names[0], "T-shirt/top");
    /// ```
    pub fn class_names(self) -> Vec<String> {
        match self {
            Self::Digits => (0..10).map(|digit| digit.to_string()).collect(),
            Self::Fashion => FASHION_CLASS_NAMES.iter().map(|name| name.to_string()).collect(),
        }
    }
}

/// Where a loaded [`Mnist`] came from.
///
/// ```no_run
/// use fireside_datasets::{Mnist, Source};
///
/// let mnist = Mnist::load()?;
/// if let Source::ShippedSubset { .. } = mnist.source {
///     println!("training on the 10,000-digit subset; install the full MNIST for better accuracy");
/// }
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The four files of a full set, in `dir`.
    Full {
        /// The folder that holds them.
        dir: PathBuf,
    },
    /// The 10,000-digit subset shipped with fireside, in `dir`.
    ShippedSubset {
        /// The folder that holds it.
        dir: PathBuf,
    },
}

/// E.g. `full set from /home/me/.cache/fireside/mnist`.
impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full { dir } => write!(f, "full set from {}", dir.display()),
            Self::ShippedSubset { dir } => {
                write!(f, "shipped subset of 10,000 digits from {}", dir.display())
            }
        }
    }
}

/// MNIST or Fashion-MNIST, loaded into memory: a training set and a test set.
///
/// Printing it says which data was loaded:
///
/// ```no_run
/// use fireside_datasets::Mnist;
///
/// let mnist = Mnist::load()?;
/// println!("{mnist}");
/// // MNIST, shipped subset of 10,000 digits from …/data/mnist-subset:
/// // 8000 training and 2000 test images of 28x28 in 10 classes
/// let (train, validation) = mnist.train.split(0.1, 42);
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Mnist {
    /// Digits or Fashion-MNIST.
    pub variant: MnistVariant,
    /// The full set or the shipped subset, and the folder it came from.
    pub source: Source,
    /// The training images.
    pub train: ImageSet,
    /// The test images, to be used only for the final evaluation.
    pub test: ImageSet,
}

impl Mnist {
    /// MNIST digits: the full set when its four files are in
    /// `<data_dir>/mnist/`, else the shipped subset (8,000 training and
    /// 2,000 test images). [`Mnist::source`] says which.
    ///
    /// If only some of the four files are there, the error names the
    /// missing one.
    ///
    /// ```no_run
    /// let mnist = fireside_datasets::Mnist::load()?;
    /// println!("{mnist}");
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn load() -> Result<Self> {
        Self::load_or_shipped(&data_dir())
    }

    /// Fashion-MNIST from its four files in `<data_dir>/fashion-mnist/`.
    /// Fashion-MNIST is not shipped, so without its files this is an error
    /// that says where to put them.
    ///
    /// ```no_run
    /// let fashion = fireside_datasets::Mnist::load_fashion()?;
    /// assert_eq!(fashion.train.class_name(7), "Sneaker");
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn load_fashion() -> Result<Self> {
        Self::from_dir(data_dir().join(MnistVariant::Fashion.dir_name()), MnistVariant::Fashion)
    }

    /// A full set from the four standard files (raw or `.gz`) in `dir`.
    ///
    /// ```no_run
    /// use fireside_datasets::{Mnist, MnistVariant};
    ///
    /// let mnist = Mnist::from_dir("/data/mnist", MnistVariant::Digits)?;
    /// assert_eq!(mnist.train.len(), 60_000);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn from_dir(dir: impl AsRef<Path>, variant: MnistVariant) -> Result<Self> {
        let dir = dir.as_ref();
        match find_full_set(dir, variant)? {
            Some(files) => load_full_set(dir, &files, variant),
            None => Err(DatasetError::NotInstalled { dataset: variant.name(), dir: dir.into() }),
        }
    }

    /// The 10,000 MNIST digits shipped with fireside: the first 8,000 as
    /// `train`, the last 2,000 as `test`.
    ///
    /// ```
    /// let mnist = fireside_datasets::Mnist::shipped_subset()?;
    /// assert_eq!((mnist.train.len(), mnist.test.len()), (8000, 2000));
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn shipped_subset() -> Result<Self> {
        load_shipped_subset(&shipped_data_dir())
    }

    /// [`Mnist::load`] with `data_dir` in place of [`data_dir()`].
    fn load_or_shipped(data_dir: &Path) -> Result<Self> {
        let dir = data_dir.join(MnistVariant::Digits.dir_name());
        match find_full_set(&dir, MnistVariant::Digits)? {
            Some(files) => load_full_set(&dir, &files, MnistVariant::Digits),
            None => Self::shipped_subset(),
        }
    }
}

/// E.g. `MNIST, full set from …: 60000 training and 10000 test images of 28x28 in 10 classes`.
impl fmt::Display for Mnist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}: {} training and {} test images of {}x{} in {} classes",
            self.variant.name(),
            self.source,
            self.train.len(),
            self.test.len(),
            self.train.rows,
            self.train.cols,
            self.train.class_count(),
        )
    }
}

/// The paths of the four files of a full set, in the order of [`FULL_SET_FILES`].
type FullSetFiles = [PathBuf; 4];

/// The four files of a full set in `dir`; `None` if none of them is there.
fn find_full_set(dir: &Path, variant: MnistVariant) -> Result<Option<FullSetFiles>> {
    let found = FULL_SET_FILES.map(|name| locate(dir, name));
    if found.iter().all(Option::is_none) {
        return Ok(None);
    }
    if let Some(index) = found.iter().position(Option::is_none) {
        let name = FULL_SET_FILES[index];
        let alternative = match variant {
            MnistVariant::Digits => ", or remove the others to use the shipped subset of 10,000 digits",
            MnistVariant::Fashion => "",
        };
        return Err(DatasetError::MissingFile {
            path: dir.join(name),
            fix: format!(
                "{} holds other files of {} but neither {name} nor {name}.gz; put the missing \
                 file there{alternative}",
                dir.display(),
                variant.name(),
            ),
        });
    }
    Ok(Some(found.map(|path| path.expect("every file was found"))))
}

/// `dir/name`, else `dir/name.gz`, if one of them is a file.
fn locate(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))].into_iter().find(|path| path.is_file())
}

fn load_full_set(dir: &Path, files: &FullSetFiles, variant: MnistVariant) -> Result<Mnist> {
    let [train_images, train_labels, test_images, test_labels] = files;
    Ok(Mnist {
        variant,
        source: Source::Full { dir: dir.into() },
        train: read_image_set(train_images, train_labels, variant)?,
        test: read_image_set(test_images, test_labels, variant)?,
    })
}

fn load_shipped_subset(dir: &Path) -> Result<Mnist> {
    let [images, labels] = [SHIPPED_IMAGES, SHIPPED_LABELS].map(|name| dir.join(name));
    if let Some(missing) = [&images, &labels].into_iter().find(|path| !path.is_file()) {
        let fix = format!(
            "the MNIST subset shipped with fireside should be in {}; set FIRESIDE_SHIPPED_DATA \
             to the folder that holds {SHIPPED_IMAGES} and {SHIPPED_LABELS} \
             (datasets/data/mnist-subset in fireside's repository), or put the full MNIST in {}",
            dir.display(),
            data_dir().join(MnistVariant::Digits.dir_name()).display(),
        );
        return Err(DatasetError::MissingFile { path: missing.clone(), fix });
    }

    let all = read_image_set(&images, &labels, MnistVariant::Digits)?;
    let train_len = all.len().saturating_sub(SHIPPED_TEST_LEN);
    let test_indices: Vec<usize> = (train_len..all.len()).collect();
    Ok(Mnist {
        variant: MnistVariant::Digits,
        source: Source::ShippedSubset { dir: dir.into() },
        train: all.take(train_len),
        test: all.select(&test_indices),
    })
}

/// Reads an images file and its labels file into an [`ImageSet`], checking
/// that they fit together.
fn read_image_set(images_path: &Path, labels_path: &Path, variant: MnistVariant) -> Result<ImageSet> {
    let images = IdxArray::read(images_path)?;
    let labels = IdxArray::read(labels_path)?;

    let &[image_count, rows, cols] = images.dims() else {
        return Err(DatasetError::WrongRank {
            path: images_path.into(),
            what: "images",
            expected: 3,
            found: images.dims().to_vec(),
        });
    };
    let &[label_count] = labels.dims() else {
        return Err(DatasetError::WrongRank {
            path: labels_path.into(),
            what: "labels",
            expected: 1,
            found: labels.dims().to_vec(),
        });
    };
    if image_count != label_count {
        return Err(DatasetError::DimensionMismatch {
            images: images_path.into(),
            labels: labels_path.into(),
            image_count,
            label_count,
        });
    }

    let class_names = variant.class_names();
    if let Some(index) = labels.data().iter().position(|&label| usize::from(label) >= class_names.len()) {
        return Err(DatasetError::LabelOutOfRange {
            path: labels_path.into(),
            index,
            label: labels.data()[index],
            class_count: class_names.len(),
        });
    }

    Ok(ImageSet {
        images: images.data().iter().map(|&pixel| f32::from(pixel) / 255.0).collect(),
        labels: labels.into_data(),
        channels: 1,
        rows,
        cols,
        class_names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::Compression;
    use crate::test_support::scratch_dir;

    #[test]
    fn shipped_subset_has_10000_digits_of_28x28_with_every_label() {
        let mnist = Mnist::shipped_subset().unwrap();
        assert_eq!(mnist.variant, MnistVariant::Digits);
        assert!(matches!(mnist.source, Source::ShippedSubset { .. }));
        assert_eq!(mnist.train.len() + mnist.test.len(), 10_000);
        assert_eq!((mnist.train.len(), mnist.test.len()), (8000, 2000));
        for set in [&mnist.train, &mnist.test] {
            assert_eq!((set.rows, set.cols), (28, 28));
            assert_eq!(set.images.len(), set.len() * 28 * 28);
            assert!(set.class_counts().iter().all(|&count| count > 0), "{:?}", set.class_counts());
            assert!(set.images.iter().all(|pixel| (0.0..=1.0).contains(pixel)));
        }
        assert_eq!(mnist.test.class_counts().iter().sum::<usize>(), 2000);
        assert!(mnist.to_string().starts_with("MNIST, shipped subset"), "{mnist}");
    }

    #[test]
    fn load_falls_back_to_the_shipped_subset_when_no_full_set_is_installed() {
        let empty = scratch_dir("mnist-no-full-set");
        let mnist = Mnist::load_or_shipped(&empty).unwrap();
        assert!(matches!(mnist.source, Source::ShippedSubset { .. }));
    }

    /// Writes a tiny full set (2 training and 1 test image of 2x3) in `dir/mnist`.
    fn write_tiny_full_set(data_dir: &Path) -> PathBuf {
        let dir = data_dir.join("mnist");
        std::fs::create_dir_all(&dir).unwrap();
        IdxArray::new(vec![2, 2, 3], (0..12).map(|v| v * 20).collect())
            .write(dir.join(format!("{TRAIN_IMAGES}.gz")), Compression::Gzip)
            .unwrap();
        IdxArray::new(vec![2], vec![3, 9]).write(dir.join(TRAIN_LABELS), Compression::Raw).unwrap();
        IdxArray::new(vec![1, 2, 3], vec![255; 6]).write(dir.join(TEST_IMAGES), Compression::Raw).unwrap();
        IdxArray::new(vec![1], vec![0])
            .write(dir.join(format!("{TEST_LABELS}.gz")), Compression::Gzip)
            .unwrap();
        dir
    }

    #[test]
    fn load_uses_the_full_set_when_installed() {
        let data_dir = scratch_dir("mnist-full-set");
        let dir = write_tiny_full_set(&data_dir);
        let mnist = Mnist::load_or_shipped(&data_dir).unwrap();
        assert_eq!(mnist.source, Source::Full { dir });
        assert_eq!(mnist.train.shape(), [2, 1, 2, 3]);
        assert_eq!(mnist.train.labels, vec![3, 9]);
        assert_eq!(mnist.train.image(1)[5], 220.0 / 255.0);
        assert_eq!(mnist.test.images, vec![1.0; 6]);
    }

    #[test]
    fn a_partial_full_set_names_the_missing_file() {
        let data_dir = scratch_dir("mnist-partial-set");
        let dir = write_tiny_full_set(&data_dir);
        std::fs::remove_file(dir.join(TEST_IMAGES)).unwrap();

        let error = Mnist::load_or_shipped(&data_dir).unwrap_err();
        let missing = dir.join(TEST_IMAGES);
        assert!(matches!(&error, DatasetError::MissingFile { path, .. } if *path == missing));
        let message = error.to_string();
        assert!(message.contains("t10k-images-idx3-ubyte is missing"), "{message}");
        assert!(message.contains("put the missing file there"), "{message}");
    }

    #[test]
    fn images_and_labels_of_different_sizes_are_a_dimension_mismatch() {
        let dir = scratch_dir("mnist-mismatch");
        let (images, labels) = (dir.join("images"), dir.join("labels"));
        IdxArray::new(vec![2, 1, 1], vec![0, 0]).write(&images, Compression::Raw).unwrap();
        IdxArray::new(vec![3], vec![0, 0, 0]).write(&labels, Compression::Raw).unwrap();

        let error = read_image_set(&images, &labels, MnistVariant::Digits).unwrap_err();
        assert!(matches!(error, DatasetError::DimensionMismatch { image_count: 2, label_count: 3, .. }));
        assert!(error.to_string().contains("dimension mismatch"), "{error}");
    }

    #[test]
    fn swapped_files_are_reported() {
        let dir = scratch_dir("mnist-swapped");
        let (images, labels) = (dir.join("images"), dir.join("labels"));
        IdxArray::new(vec![2, 1, 1], vec![0, 0]).write(&images, Compression::Raw).unwrap();
        IdxArray::new(vec![2], vec![0, 0]).write(&labels, Compression::Raw).unwrap();

        let error = read_image_set(&labels, &images, MnistVariant::Digits).unwrap_err();
        assert!(matches!(error, DatasetError::WrongRank { what: "images", .. }), "{error:?}");
    }

    #[test]
    fn fashion_without_files_says_it_is_not_installed() {
        let dir = scratch_dir("fashion-missing").join("fashion-mnist");
        let error = Mnist::from_dir(&dir, MnistVariant::Fashion).unwrap_err();
        assert!(matches!(error, DatasetError::NotInstalled { dataset: "Fashion-MNIST", .. }), "{error:?}");
    }

    #[test]
    fn fashion_class_names() {
        let names = MnistVariant::Fashion.class_names();
        assert_eq!(names.len(), 10);
        assert_eq!(names[6], "Shirt");
    }
}
