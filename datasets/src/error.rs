//! The error type shared by every loader of this crate.
//!
//! Each message names the file concerned, says what is wrong with it and how
//! to fix it, so that it can be shown to a notebook user as it is.

use std::io;
use std::path::PathBuf;

/// The most a deflate stream expands: 1,032 to 1 (zlib's technical notes).
pub const MAX_GZIP_RATIO: u64 = 1032;

/// The most records a CIFAR-10 batch file holds (the test batch has 10,000;
/// the largest CIFAR binary, CIFAR-100's training set, 50,000).
pub const MAX_CIFAR_RECORDS: u64 = 60_000;

/// A `Result` whose error is [`DatasetError`].
///
/// ```
/// fn first_label() -> fireside_datasets::Result<u8> {
///     Ok(fireside_datasets::Mnist::shipped_subset()?.train.labels[0])
/// }
/// ```
pub type Result<T, E = DatasetError> = std::result::Result<T, E>;

/// Everything that can go wrong while locating or reading a data set.
///
/// ```no_run
/// use fireside_datasets::{DatasetError, Mnist};
///
/// match Mnist::load_fashion() {
///     Ok(fashion) => println!("{fashion}"),
///     Err(DatasetError::NotInstalled { dir, .. }) => println!("nothing in {}", dir.display()),
///     Err(other) => println!("{other}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The file could not be opened or read at all.
    #[error(
        "could not read {}: {source}; check that the file exists and is readable",
        path.display()
    )]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system reported.
        source: io::Error,
    },

    /// The file could not be written.
    #[error(
        "could not write {}: {source}; check that its folder exists and is writable",
        path.display()
    )]
    Write {
        /// The file.
        path: PathBuf,
        /// What the operating system reported.
        source: io::Error,
    },

    /// The file starts like a gzip file but does not decompress.
    #[error(
        "{} is a damaged or truncated gzip file ({source}); download it again",
        path.display()
    )]
    BadGzip {
        /// The file.
        path: PathBuf,
        /// What the decompressor reported.
        source: io::Error,
    },

    /// The file does not start with an IDX magic number.
    #[error(
        "{} is not an IDX file: it starts with {}, while an IDX file starts with 00 00, \
         a data type byte and a dimension count; check the path, or download the file again",
        path.display(), hex(found)
    )]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// Its first bytes (at most 4).
        found: Vec<u8>,
    },

    /// The IDX file stores a data type other than unsigned bytes.
    #[error(
        "{} holds IDX data type 0x{dtype:02x} ({}), but only 0x08 (unsigned byte, as in MNIST \
         and Fashion-MNIST) is supported; convert the file to unsigned bytes",
        path.display(), dtype_name(*dtype)
    )]
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// The data type byte of its magic number.
        dtype: u8,
    },

    /// The file is shorter than its header says.
    #[error(
        "{} is truncated: expected {expected} bytes, got {actual}; the download was \
         probably interrupted, download it again",
        path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Its length according to its header (after decompression).
        expected: u64,
        /// Its actual length (after decompression).
        actual: u64,
    },

    /// The file is longer than its header says.
    #[error(
        "{} has {actual} bytes where its header announces {expected}; the file is damaged \
         or is not an IDX file, download it again",
        path.display()
    )]
    TrailingData {
        /// The file.
        path: PathBuf,
        /// Its length according to its header (after decompression).
        expected: u64,
        /// Its actual length (after decompression).
        actual: u64,
    },

    /// The file has the wrong number of dimensions for what it should hold.
    #[error(
        "{} has shape {found:?}, but {what} need {expected} dimension(s); check that the \
         images and labels files are not swapped",
        path.display()
    )]
    WrongRank {
        /// The file.
        path: PathBuf,
        /// What the file should hold: "images" or "labels".
        what: &'static str,
        /// The number of dimensions that was expected.
        expected: usize,
        /// The dimensions the file has.
        found: Vec<usize>,
    },

    /// The images file and the labels file hold different numbers of items.
    #[error(
        "dimension mismatch: {} holds {image_count} images but {} holds {label_count} labels; \
         the two files come from different sets, use the images and labels of the same set",
        images.display(), labels.display()
    )]
    DimensionMismatch {
        /// The images file.
        images: PathBuf,
        /// The labels file.
        labels: PathBuf,
        /// The number of images.
        image_count: usize,
        /// The number of labels.
        label_count: usize,
    },

    /// A label is not one of the data set's classes.
    #[error(
        "{} has label {label} at index {index}, but the data set has only {class_count} \
         classes; the file is damaged or belongs to another data set",
        path.display()
    )]
    LabelOutOfRange {
        /// The labels file.
        path: PathBuf,
        /// Where the label is.
        index: usize,
        /// The label.
        label: u8,
        /// How many classes the data set has.
        class_count: usize,
    },

    /// One file of a data set is missing while others are present.
    #[error("{} is missing: {fix}", path.display())]
    MissingFile {
        /// The file that was looked for (without or with `.gz`).
        path: PathBuf,
        /// How to fix it.
        fix: String,
    },

    /// No file of a data set that fireside does not ship is present.
    #[error(
        "{dataset} is not installed: {} has none of its files; put train-images-idx3-ubyte, \
         train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte \
         (raw or .gz) there, or set FIRESIDE_DATA to a folder that has them in a `{}` subfolder",
        dir.display(), dir.file_name().map(|name| name.to_string_lossy()).unwrap_or_default()
    )]
    NotInstalled {
        /// The data set's name, e.g. "Fashion-MNIST".
        dataset: &'static str,
        /// The folder that was searched.
        dir: PathBuf,
    },

    /// A folder of labelled texts (aclImdb's `train/` or `test/`) holds no text.
    #[error(
        "{} holds no review: expected text files in its `pos/` and `neg/` subfolders, named \
         `<id>_<rating>.txt` as in aclImdb; check the path (it should be the `aclImdb` folder \
         that holds `train/` and `test/`)",
        dir.display()
    )]
    NoTexts {
        /// The folder that was searched.
        dir: PathBuf,
    },

    /// A word index file is not a JSON object of word → rank.
    #[error(
        "{} is not a Keras word index: {reason}; it should be a JSON object mapping each \
         word to its frequency rank (1 for the most frequent), like Keras's \
         imdb_word_index.json",
        path.display()
    )]
    BadWordIndex {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A gzipped file whose header announces more data than it could hold.
    #[error(
        "{} announces {declared} bytes of data, more than a gzip file of {compressed} bytes \
         can hold (deflate expands at most {MAX_GZIP_RATIO} times): the file is damaged or \
         is not a data set; download it again",
        path.display()
    )]
    ImplausibleSize {
        /// The file.
        path: PathBuf,
        /// The length its header announces, in bytes.
        declared: u64,
        /// Its length on disk, compressed.
        compressed: u64,
    },

    /// A CIFAR-10 batch file with no record at all, or far more than a batch has.
    #[error(
        "{} holds {records} records, where a CIFAR-10 batch file holds 1 to {MAX_CIFAR_RECORDS}; \
         check the path (an empty file is often an interrupted download), or download it again",
        path.display()
    )]
    RecordCount {
        /// The file.
        path: PathBuf,
        /// How many records it holds, or would hold once decompressed.
        records: u64,
    },

    /// A CIFAR-10 binary file whose length is not a whole number of records.
    #[error(
        "{}: record {record} is incomplete: the file is not CIFAR-10 binary (1 + 3072 bytes per \
         image); it has {len} bytes, check the path or download the binary version again",
        path.display()
    )]
    IncompleteRecord {
        /// The file.
        path: PathBuf,
        /// The index of the incomplete record, counted from 0.
        record: usize,
        /// The length of the file in bytes.
        len: u64,
    },

    /// A folder that should hold one subfolder per class holds none.
    #[error(
        "{} has no class subfolders: put the images of each class in a subfolder named after \
         the class, e.g. {}/cat/1.png and {}/dog/1.jpg (as Keras's flow_from_directory expects)",
        dir.display(), dir.display(), dir.display()
    )]
    NoClassFolders {
        /// The folder.
        dir: PathBuf,
    },

    /// Class subfolders exist but hold no image.
    #[error(
        "{} has class subfolders ({}) but no .png, .jpg or .jpeg image in them; put the images \
         of each class in its subfolder",
        dir.display(), classes.join(", ")
    )]
    NoImages {
        /// The folder.
        dir: PathBuf,
        /// The class subfolders found.
        classes: Vec<String>,
    },

    /// More classes than labels of one byte can tell apart.
    #[error(
        "{} has {count} class subfolders, but an ImageSet holds at most 256 classes; \
         group the classes or split the folder",
        dir.display()
    )]
    TooManyClasses {
        /// The folder.
        dir: PathBuf,
        /// The number of class subfolders.
        count: usize,
    },

    /// An image file that could not be decoded.
    #[error(
        "could not read the image {}: {reason}; the file is damaged or is not a PNG or JPEG \
         image, replace or remove it",
        path.display()
    )]
    BadImage {
        /// The file.
        path: PathBuf,
        /// What the decoder reported.
        reason: String,
    },
}

/// Bytes as space-separated hex pairs, e.g. `1f 8b 08`.
fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing (the file is empty)".to_owned();
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect::<Vec<_>>().join(" ")
}

/// The name the IDX format gives to a data type byte.
fn dtype_name(dtype: u8) -> &'static str {
    match dtype {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0b => "16-bit integer",
        0x0c => "32-bit integer",
        0x0d => "32-bit float",
        0x0e => "64-bit float",
        _ => "unknown",
    }
}

/// Whether `dtype` is one of the data types defined by the IDX format.
pub(crate) fn is_idx_dtype(dtype: u8) -> bool {
    dtype_name(dtype) != "unknown"
}
