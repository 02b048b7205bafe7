//! CIFAR-10 in its published binary format: the full set when installed,
//! else a small CIFAR-10-like set shipped with this crate.
//!
//! The binary version of CIFAR-10 (`cifar-10-binary.tar.gz` from
//! <https://www.cs.toronto.edu/~kriz/cifar.html>) unpacks to a folder
//! `cifar-10-batches-bin/` that goes in [`data_dir`]:
//!
//! ```text
//! <data_dir>/cifar-10-batches-bin/   data_batch_1.bin … data_batch_5.bin   (10,000 images each)
//!                                    test_batch.bin                        (10,000 images)
//!                                    batches.meta.txt                      (the class names)
//! ```
//!
//! Each `.bin` file is a sequence of records of 3,073 bytes: the label
//! (0–9), then the 32×32 image as 1,024 red, 1,024 green and 1,024 blue
//! bytes, each plane row by row. That is already the channels-first layout
//! of an [`ImageSet`]. Each file may also be gzipped (`data_batch_1.bin.gz`),
//! as the shipped set is.
//!
//! **The shipped set is synthetic**, not photographs: no package on the
//! registries fireside can use ships enough real CIFAR-10 images to train
//! on, so `datasets/scripts/make_cifar10_like.py` draws 3,000 small 32×32
//! scenes, one kind per CIFAR-10 class (a plane in the sky, a car on a road,
//! …), with random colours, positions, sizes and noise, in the real binary
//! format. A network learns it in a minute; install the real set for real
//! results (about 70% test accuracy for seed C's small CNN).

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::{DatasetError, MAX_CIFAR_RECORDS, Result};
use crate::image_set::ImageSet;
use crate::location::{data_dir, shipped_cifar10_dir};

/// The class names of CIFAR-10, indexed by label.
///
/// ```
/// assert_eq!(fireside_datasets::CIFAR10_CLASS_NAMES[3], "cat");
/// ```
pub const CIFAR10_CLASS_NAMES: [&str; 10] =
    ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

/// The side of a CIFAR-10 image in pixels.
const SIDE: usize = 32;
/// The bytes of one image: three planes of 32×32.
const IMAGE_BYTES: usize = 3 * SIDE * SIDE;
/// The bytes of one record: the label, then the image.
const RECORD_BYTES: usize = 1 + IMAGE_BYTES;

/// The subfolder of [`data_dir`] that holds the full set, as the archive unpacks.
pub const CIFAR10_DIR_NAME: &str = "cifar-10-batches-bin";
/// The file with the class names, one per line.
const META_FILE: &str = "batches.meta.txt";
/// The test file.
const TEST_FILE: &str = "test_batch.bin";
/// How many training files the full set has.
const TRAIN_FILES: usize = 5;

/// Where a loaded [`Cifar10`] came from.
///
/// ```no_run
/// use fireside_datasets::{Cifar10, Cifar10Source};
///
/// let cifar = Cifar10::load()?;
/// if let Cifar10Source::ShippedSynthetic { .. } = cifar.source {
///     println!("synthetic stand-in: install the real CIFAR-10 for real photographs");
/// }
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cifar10Source {
    /// The binary files of the real CIFAR-10 (or any set in its format), in `dir`.
    Full {
        /// The folder that holds them.
        dir: PathBuf,
    },
    /// The small synthetic CIFAR-10-like set shipped with fireside, in `dir`.
    ShippedSynthetic {
        /// The folder that holds it.
        dir: PathBuf,
    },
}

/// E.g. `full set from /home/me/.cache/fireside/cifar-10-batches-bin`.
impl fmt::Display for Cifar10Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full { dir } => write!(f, "full set from {}", dir.display()),
            Self::ShippedSynthetic { dir } => {
                write!(f, "shipped SYNTHETIC stand-in (drawn shapes, not photographs) from {}", dir.display())
            }
        }
    }
}

/// CIFAR-10 (or the shipped stand-in) loaded into memory: colour images of
/// 32×32 in ten classes, a training set and a test set.
///
/// ```
/// use fireside_datasets::Cifar10;
///
/// let cifar = Cifar10::shipped_subset()?;
/// println!("{cifar}");
/// assert_eq!(cifar.train.shape(), [2500, 3, 32, 32]);
/// assert_eq!(cifar.train.class_name(0), "airplane");
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Cifar10 {
    /// The full set or the shipped synthetic one, and the folder it came from.
    pub source: Cifar10Source,
    /// The training images (`data_batch_*.bin`).
    pub train: ImageSet,
    /// The test images (`test_batch.bin`).
    pub test: ImageSet,
}

impl Cifar10 {
    /// CIFAR-10 from `<data_dir>/cifar-10-batches-bin/` when that folder
    /// holds its files, else the shipped synthetic set (2,500 training and
    /// 500 test images). [`Cifar10::source`] says which.
    ///
    /// # Errors
    ///
    /// If the folder holds only some of the files, or one is not CIFAR-10
    /// binary; the error names the file.
    ///
    /// ```no_run
    /// let cifar = fireside_datasets::Cifar10::load()?;
    /// println!("{cifar}");
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn load() -> Result<Self> {
        Self::load_or_shipped(&data_dir())
    }

    /// A set in CIFAR-10's binary layout from `dir`: `data_batch_1.bin` and
    /// the following ones up to `data_batch_5.bin` that exist, `test_batch.bin`
    /// (each raw or `.gz`), and `batches.meta.txt` for the class names
    /// (CIFAR-10's names if it is absent).
    ///
    /// # Errors
    ///
    /// If `data_batch_1.bin` or `test_batch.bin` is missing, a training file
    /// is missing before one that exists, or a file is not CIFAR-10 binary.
    ///
    /// ```no_run
    /// let cifar = fireside_datasets::Cifar10::from_dir("/data/cifar-10-batches-bin")?;
    /// assert_eq!((cifar.train.len(), cifar.test.len()), (50_000, 10_000));
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let (train, test) = read_set(dir, &install_hint(dir))?;
        Ok(Self { source: Cifar10Source::Full { dir: dir.into() }, train, test })
    }

    /// The synthetic CIFAR-10-like set shipped with fireside
    /// ([`shipped_cifar10_dir`](crate::shipped_cifar10_dir)): 2,500 training
    /// and 500 test images of 32×32×3, 250 and 50 per class. See the
    /// [module documentation](crate::cifar) for what it is and is not.
    ///
    /// ```
    /// let cifar = fireside_datasets::Cifar10::shipped_subset()?;
    /// assert_eq!(cifar.test.class_counts(), vec![50; 10]);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn shipped_subset() -> Result<Self> {
        let dir = shipped_cifar10_dir();
        let fix = format!(
            "the CIFAR-10-like set shipped with fireside should be in {}; set \
             FIRESIDE_SHIPPED_CIFAR10 to the folder that holds data_batch_1.bin and test_batch.bin \
             (datasets/data/cifar10-subset in fireside's repository), or install the real \
             CIFAR-10 in {}",
            dir.display(),
            data_dir().join(CIFAR10_DIR_NAME).display(),
        );
        let (train, test) = read_set(&dir, &fix)?;
        Ok(Self { source: Cifar10Source::ShippedSynthetic { dir }, train, test })
    }

    /// Reads one binary file of CIFAR-10 records (`data_batch_1.bin`,
    /// `test_batch.bin`, …, raw or gzipped) into an [`ImageSet`] with the
    /// given class names.
    ///
    /// # Errors
    ///
    /// If the file cannot be read, its length is not a whole number of
    /// 3,073-byte records, or a label is not below the number of classes.
    ///
    /// ```no_run
    /// use fireside_datasets::{CIFAR10_CLASS_NAMES, Cifar10};
    ///
    /// let names = CIFAR10_CLASS_NAMES.map(String::from).to_vec();
    /// let batch = Cifar10::read_batch("cifar-10-batches-bin/data_batch_1.bin", names)?;
    /// assert_eq!(batch.shape(), [10_000, 3, 32, 32]);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn read_batch(path: impl AsRef<Path>, class_names: Vec<String>) -> Result<ImageSet> {
        let path = path.as_ref();
        let mut bytes = fs::read(path).map_err(|source| DatasetError::Io { path: path.into(), source })?;
        let most = MAX_CIFAR_RECORDS * RECORD_BYTES as u64;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            // No further than the largest batch (and a record more), so that a
            // small file that expands without bound is refused, not unpacked.
            let mut unpacked = Vec::new();
            MultiGzDecoder::new(bytes.as_slice())
                .take(most + RECORD_BYTES as u64)
                .read_to_end(&mut unpacked)
                .map_err(|source| DatasetError::BadGzip { path: path.into(), source })?;
            bytes = unpacked;
        }
        let records = bytes.len() as u64 / RECORD_BYTES as u64;
        if bytes.is_empty() || records > MAX_CIFAR_RECORDS {
            return Err(DatasetError::RecordCount { path: path.into(), records });
        }
        if bytes.len() % RECORD_BYTES != 0 {
            return Err(DatasetError::IncompleteRecord {
                path: path.into(),
                record: bytes.len() / RECORD_BYTES,
                len: bytes.len() as u64,
            });
        }
        let count = bytes.len() / RECORD_BYTES;
        let mut images = Vec::with_capacity(count * IMAGE_BYTES);
        let mut labels = Vec::with_capacity(count);
        for (index, record) in bytes.chunks_exact(RECORD_BYTES).enumerate() {
            let label = record[0];
            if usize::from(label) >= class_names.len() {
                return Err(DatasetError::LabelOutOfRange {
                    path: path.into(),
                    index,
                    label,
                    class_count: class_names.len(),
                });
            }
            labels.push(label);
            images.extend(record[1..].iter().map(|&byte| f32::from(byte) / 255.0));
        }
        Ok(ImageSet { images, labels, channels: 3, rows: SIDE, cols: SIDE, class_names })
    }

    /// [`Cifar10::load`] with `data_dir` in place of [`data_dir()`].
    fn load_or_shipped(data_dir: &Path) -> Result<Self> {
        let dir = data_dir.join(CIFAR10_DIR_NAME);
        let data_files = (1..=TRAIN_FILES).map(train_file).chain([TEST_FILE.to_owned()]);
        let has_data = data_files.into_iter().any(|name| locate(&dir, &name).is_some());
        if has_data || dir.join(META_FILE).is_file() { Self::from_dir(&dir) } else { Self::shipped_subset() }
    }
}

/// E.g. `CIFAR-10, full set from …: 50000 training and 10000 test images of 32x32x3 in 10 classes`.
impl fmt::Display for Cifar10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CIFAR-10, {}: {} training and {} test images of {} in {} classes",
            self.source,
            self.train.len(),
            self.test.len(),
            self.train.size_text(),
            self.train.class_count(),
        )
    }
}

/// `data_batch_<number>.bin`.
fn train_file(number: usize) -> String {
    format!("data_batch_{number}.bin")
}

/// `dir/name`, else `dir/name.gz`, if one of them is a file.
fn locate(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))].into_iter().find(|path| path.is_file())
}

/// How to put the real CIFAR-10 in `dir`.
fn install_hint(dir: &Path) -> String {
    format!(
        "download the binary version of CIFAR-10 (cifar-10-binary.tar.gz, from \
         https://www.cs.toronto.edu/~kriz/cifar.html) and unpack it so that {} holds \
         data_batch_1.bin to data_batch_5.bin, test_batch.bin and batches.meta.txt",
        dir.display()
    )
}

/// The training and test sets of a folder in CIFAR-10's layout; `fix` says
/// how to repair a missing file.
fn read_set(dir: &Path, fix: &str) -> Result<(ImageSet, ImageSet)> {
    let missing = |name: &str| DatasetError::MissingFile { path: dir.join(name), fix: fix.to_owned() };
    let class_names = read_class_names(&dir.join(META_FILE))?;

    let train_paths: Vec<PathBuf> =
        (1..=TRAIN_FILES).map_while(|number| locate(dir, &train_file(number))).collect();
    if train_paths.is_empty() {
        return Err(missing(&train_file(1)));
    }
    // A gap (data_batch_3.bin without data_batch_2.bin) is an unfinished copy.
    if (train_paths.len() + 1..=TRAIN_FILES).any(|number| locate(dir, &train_file(number)).is_some()) {
        return Err(missing(&train_file(train_paths.len() + 1)));
    }
    let test_path = locate(dir, TEST_FILE).ok_or_else(|| missing(TEST_FILE))?;

    let mut train = Cifar10::read_batch(&train_paths[0], class_names.clone())?;
    for path in &train_paths[1..] {
        let batch = Cifar10::read_batch(path, class_names.clone())?;
        train.images.extend(batch.images);
        train.labels.extend(batch.labels);
    }
    let test = Cifar10::read_batch(&test_path, class_names)?;
    Ok((train, test))
}

/// The class names in `batches.meta.txt` (one per line, blank lines
/// ignored), or CIFAR-10's when the file is absent.
fn read_class_names(path: &Path) -> Result<Vec<String>> {
    if !path.is_file() {
        return Ok(CIFAR10_CLASS_NAMES.map(String::from).to_vec());
    }
    let text = fs::read_to_string(path).map_err(|source| DatasetError::Io { path: path.into(), source })?;
    Ok(text.lines().map(str::trim).filter(|line| !line.is_empty()).map(String::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch_dir;

    /// `labels.len()` records whose red, green and blue planes are constant:
    /// 10, 20 and 30 plus the record's index.
    fn records(labels: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (index, &label) in labels.iter().enumerate() {
            bytes.push(label);
            for plane in 1..=3u8 {
                bytes.extend(std::iter::repeat_n(plane * 10 + index as u8, SIDE * SIDE));
            }
        }
        bytes
    }

    #[test]
    fn records_become_channels_first_images() {
        let dir = scratch_dir("cifar-records");
        let path = dir.join("data_batch_1.bin");
        fs::write(&path, records(&[3, 9])).unwrap();
        let set = Cifar10::read_batch(&path, CIFAR10_CLASS_NAMES.map(String::from).to_vec()).unwrap();
        assert_eq!(set.shape(), [2, 3, 32, 32]);
        assert_eq!(set.labels, [3, 9]);
        let second = set.image(1);
        assert_eq!(second[0], 11.0 / 255.0, "red plane first");
        assert_eq!(second[1024], 21.0 / 255.0, "then green");
        assert_eq!(second[3071], 31.0 / 255.0, "blue last");
        assert_eq!(set.to_string(), "2 images of 32x32x3 in 10 classes");
    }

    #[test]
    fn a_truncated_file_names_the_incomplete_record() {
        let dir = scratch_dir("cifar-truncated");
        let path = dir.join("test_batch.bin");
        let mut bytes = records(&[1, 2, 3]);
        bytes.truncate(2 * RECORD_BYTES + 100);
        fs::write(&path, bytes).unwrap();
        let error = Cifar10::read_batch(&path, vec!["a".into(); 10]).unwrap_err();
        assert!(matches!(error, DatasetError::IncompleteRecord { record: 2, .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains(
                "record 2 is incomplete: the file is not CIFAR-10 binary (1 + 3072 bytes per image)"
            ),
            "{message}"
        );
    }

    #[test]
    fn an_empty_file_or_a_gzip_bomb_is_refused() {
        let dir = scratch_dir("cifar-record-count");
        let empty = dir.join("data_batch_1.bin");
        fs::write(&empty, b"").unwrap();
        let error = Cifar10::read_batch(&empty, vec!["a".into(); 10]).unwrap_err();
        assert!(matches!(error, DatasetError::RecordCount { records: 0, .. }), "{error:?}");
        assert!(error.to_string().contains("interrupted download"));

        // 61,000 records of zeros: about 180 MB unpacked, 180 KB packed.
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let bomb = dir.join("data_batch_2.bin");
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![0u8; RECORD_BYTES * 1000];
        for _ in 0..61 {
            encoder.write_all(&zeros).unwrap();
        }
        fs::write(&bomb, encoder.finish().unwrap()).unwrap();
        let error = Cifar10::read_batch(&bomb, vec!["a".into(); 10]).unwrap_err();
        assert!(matches!(error, DatasetError::RecordCount { records: 60_001, .. }), "{error:?}");
    }

    #[test]
    fn a_label_beyond_the_classes_is_reported() {
        let dir = scratch_dir("cifar-label");
        let path = dir.join("test_batch.bin");
        fs::write(&path, records(&[0, 12])).unwrap();
        let error = Cifar10::read_batch(&path, CIFAR10_CLASS_NAMES.map(String::from).to_vec()).unwrap_err();
        assert!(matches!(error, DatasetError::LabelOutOfRange { index: 1, label: 12, .. }), "{error:?}");
    }

    #[test]
    fn load_uses_an_installed_set_with_its_class_names() {
        let data_dir = scratch_dir("cifar-full");
        let dir = data_dir.join(CIFAR10_DIR_NAME);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("data_batch_1.bin"), records(&[0, 1])).unwrap();
        fs::write(dir.join("data_batch_2.bin"), records(&[2])).unwrap();
        fs::write(dir.join(TEST_FILE), records(&[1])).unwrap();
        fs::write(dir.join(META_FILE), "plane\ncar\nbird\n\n").unwrap();

        let cifar = Cifar10::load_or_shipped(&data_dir).unwrap();
        assert_eq!(cifar.source, Cifar10Source::Full { dir: dir.clone() });
        assert_eq!(cifar.train.labels, [0, 1, 2]);
        assert_eq!(cifar.train.images.len(), 3 * IMAGE_BYTES);
        assert_eq!(cifar.train.image(2)[0], 10.0 / 255.0, "the second file's first record");
        assert_eq!(cifar.test.class_names, ["plane", "car", "bird"]);
        assert!(
            cifar.to_string().contains("3 training and 1 test images of 32x32x3 in 3 classes"),
            "{cifar}"
        );
    }

    #[test]
    fn a_missing_file_is_named_with_where_to_get_the_set() {
        let data_dir = scratch_dir("cifar-partial");
        let dir = data_dir.join(CIFAR10_DIR_NAME);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("data_batch_1.bin"), records(&[0])).unwrap();

        let error = Cifar10::load_or_shipped(&data_dir).unwrap_err();
        let expected = dir.join(TEST_FILE);
        assert!(matches!(&error, DatasetError::MissingFile { path, .. } if *path == expected), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("test_batch.bin is missing"), "{message}");
        assert!(message.contains("cifar-10-binary.tar.gz"), "{message}");

        fs::write(dir.join(TEST_FILE), records(&[0])).unwrap();
        fs::write(dir.join("data_batch_3.bin"), records(&[0])).unwrap();
        let error = Cifar10::from_dir(&dir).unwrap_err();
        assert!(error.to_string().contains("data_batch_2.bin is missing"), "{error}");
    }

    #[test]
    fn gzipped_files_are_read_too() {
        use std::io::Write;
        let dir = scratch_dir("cifar-gzip");
        for (name, labels) in [("data_batch_1.bin.gz", [4, 5]), ("test_batch.bin.gz", [6, 7])] {
            let mut packed = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            packed.write_all(&records(&labels)).unwrap();
            fs::write(dir.join(name), packed.finish().unwrap()).unwrap();
        }
        let cifar = Cifar10::from_dir(&dir).unwrap();
        assert_eq!((cifar.train.labels.clone(), cifar.test.labels.clone()), (vec![4, 5], vec![6, 7]));
        assert_eq!(cifar.test.class_name(6), "frog");
    }

    #[test]
    fn load_falls_back_to_the_shipped_set() {
        let cifar = Cifar10::load_or_shipped(&scratch_dir("cifar-none")).unwrap();
        assert!(matches!(cifar.source, Cifar10Source::ShippedSynthetic { .. }));
    }

    #[test]
    fn the_shipped_set_has_every_class_in_both_parts() {
        let cifar = Cifar10::shipped_subset().unwrap();
        assert_eq!(cifar.train.shape(), [2500, 3, 32, 32]);
        assert_eq!(cifar.test.shape(), [500, 3, 32, 32]);
        assert_eq!(cifar.train.class_counts(), vec![250; 10]);
        assert_eq!(cifar.test.class_counts(), vec![50; 10]);
        assert_eq!(cifar.train.class_names, CIFAR10_CLASS_NAMES);
        assert!(cifar.to_string().contains("SYNTHETIC"), "{cifar}");
    }
}
