//! Text to integer sequences the way Keras's IMDB data does it: a
//! [`Vocabulary`] that ranks words by frequency and encodes a text as word
//! indices, and [`pad_sequences`] that brings sequences to one length.
//!
//! The encoding is `keras.datasets.imdb`'s with its defaults: a word of
//! frequency rank `r` (1 for the most frequent) has index `r + 3`
//! ([`INDEX_FROM`]), because the first indices are reserved:
//!
//! | index | meaning |
//! | --- | --- |
//! | 0 ([`PAD`]) | padding, added by [`pad_sequences`] |
//! | 1 ([`START`]) | start of a text, the first index of every encoded text |
//! | 2 ([`OOV`]) | a word out of the vocabulary, or too rare for `num_words` |
//!
//! ```
//! use fireside_datasets::text::{Side, Vocabulary, pad_sequences};
//!
//! let vocabulary = Vocabulary::fit(["a good film", "a bad film", "a film"], 10_000);
//! let encoded = vocabulary.encode("A good, good film!");
//! assert_eq!(encoded, vec![1, 4, 7, 7, 5]); // start, a, good, good, film
//! assert_eq!(vocabulary.decode(&encoded), "a good good film");
//! let padded = pad_sequences(&[encoded], 6, Side::Pre, Side::Pre, 0);
//! assert_eq!(padded, vec![vec![0, 1, 4, 7, 7, 5]]);
//! ```

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::Path;

use crate::error::{DatasetError, Result};

/// The index of padding (Keras's `value=0` of `pad_sequences`).
///
/// ```
/// assert_eq!(fireside_datasets::text::PAD, 0);
/// ```
pub const PAD: u32 = 0;

/// The index that starts every encoded text (Keras's `start_char=1`).
///
/// ```
/// assert_eq!(fireside_datasets::text::START, 1);
/// ```
pub const START: u32 = 1;

/// The index of a word that is not in the vocabulary, or is too rare to be
/// kept (Keras's `oov_char=2`).
///
/// ```
/// assert_eq!(fireside_datasets::text::OOV, 2);
/// ```
pub const OOV: u32 = 2;

/// What is added to a word's rank to get its index (Keras's `index_from=3`):
/// the most frequent word has index 4.
///
/// ```
/// assert_eq!(fireside_datasets::text::INDEX_FROM, 3);
/// ```
pub const INDEX_FROM: u32 = 3;

/// Splits a text into lowercase words: HTML line breaks (`<br />`, common in
/// IMDB reviews) and punctuation separate words, and apostrophes inside a
/// word are kept (`don't`, `it's`), as in Keras's IMDB word index.
///
/// ```
/// use fireside_datasets::text::tokenize;
///
/// assert_eq!(tokenize("Not good.<br /><br />It's DULL!"), ["not", "good", "it's", "dull"]);
/// ```
pub fn tokenize(text: &str) -> Vec<String> {
    let text = text.to_lowercase().replace("<br />", " ").replace("<br/>", " ").replace("<br>", " ");
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        // An apostrophe at a word's edge is a quotation mark, not part of the word.
        .map(|word| word.trim_matches('\''))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Words ranked by frequency, and the encoding of texts as their indices.
///
/// A vocabulary knows every word it was fitted on (or loaded with), but
/// encodes only the most frequent ones: those whose index (rank + 3) is below
/// `num_words`, as `keras.datasets.imdb.load_data(num_words=...)` does. With
/// `num_words = 10_000` the indices go from 0 to 9,999, the input range of an
/// `Embedding(10000, ...)`.
///
/// ```
/// use fireside_datasets::text::Vocabulary;
///
/// let vocabulary = Vocabulary::fit(["great fun", "great cast", "dull"], 6);
/// assert_eq!(vocabulary.len(), 4);               // every word is known ...
/// assert_eq!(vocabulary.encode("great cast"), [1, 4, 5]);
/// assert_eq!(vocabulary.encode("great fun"), [1, 4, 2]); // ... but "fun" is rank 4, index 7 >= 6
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocabulary {
    /// The words by rank: `words[0]` has rank 1.
    words: Vec<String>,
    /// Each word's rank, from 1.
    ranks: HashMap<String, u32>,
    /// Indices at or above this are encoded as [`OOV`].
    num_words: usize,
}

impl Vocabulary {
    /// Ranks the words of `texts` ([`tokenize`]d) by how often they occur,
    /// the most frequent first, words equally frequent in alphabetical order;
    /// [`encode`](Self::encode) then keeps the indices below `num_words`
    /// (pass `usize::MAX` to keep every word).
    ///
    /// ```
    /// use fireside_datasets::text::Vocabulary;
    ///
    /// let vocabulary = Vocabulary::fit(["the film", "the end"], 10_000);
    /// assert_eq!(vocabulary.index_of("the"), Some(4));
    /// assert_eq!(vocabulary.index_of("end"), Some(5)); // "end" and "film" tie: alphabetical
    /// ```
    pub fn fit<S: AsRef<str>>(texts: impl IntoIterator<Item = S>, num_words: usize) -> Self {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for text in texts {
            for word in tokenize(text.as_ref()) {
                *counts.entry(word).or_default() += 1;
            }
        }
        let mut by_frequency: Vec<(String, usize)> = counts.into_iter().collect();
        // The alphabetical tie-break makes the ranks independent of hash order.
        by_frequency.sort_by(|(a, count_a), (b, count_b)| count_b.cmp(count_a).then_with(|| a.cmp(b)));
        Self::from_ranked(by_frequency.into_iter().map(|(word, _)| word).collect(), num_words)
    }

    /// A vocabulary of `words`, the most frequent first.
    fn from_ranked(words: Vec<String>, num_words: usize) -> Self {
        let ranks = words.iter().zip(1..).map(|(word, rank)| (word.clone(), rank)).collect();
        Self { words, ranks, num_words }
    }

    /// A vocabulary from a word index: word → rank, 1 for the most frequent,
    /// what Keras's `imdb.get_word_index()` returns. Ranks must be 1, 2, 3, …
    /// without gaps or repeats.
    ///
    /// ```
    /// use fireside_datasets::text::Vocabulary;
    ///
    /// let vocabulary = Vocabulary::from_word_index([("film", 2), ("the", 1)], 10_000).unwrap();
    /// assert_eq!(vocabulary.encode("the film"), [1, 4, 5]);
    /// ```
    ///
    /// # Errors
    ///
    /// The ranks are not 1 to the number of words; the message's `reason`
    /// names the first problem (the path in the error is empty).
    pub fn from_word_index<S: Into<String>>(
        word_index: impl IntoIterator<Item = (S, u32)>,
        num_words: usize,
    ) -> Result<Self> {
        Self::from_word_index_at(
            Path::new(""),
            word_index.into_iter().map(|(word, rank)| (word.into(), rank)),
            num_words,
        )
    }

    fn from_word_index_at(
        path: &Path,
        word_index: impl Iterator<Item = (String, u32)>,
        num_words: usize,
    ) -> Result<Self> {
        let bad = |reason: String| DatasetError::BadWordIndex { path: path.into(), reason };
        let mut by_rank: Vec<(u32, String)> = word_index.map(|(word, rank)| (rank, word)).collect();
        by_rank.sort();
        for (expected, (rank, word)) in (1..).zip(&by_rank) {
            if *rank != expected {
                return Err(bad(format!(
                    "the ranks should be 1, 2, 3, … without gaps or repeats, but after rank {} \
                     comes rank {rank} (word {word:?})",
                    expected - 1
                )));
            }
        }
        Ok(Self::from_ranked(by_rank.into_iter().map(|(_, word)| word).collect(), num_words))
    }

    /// Reads a Keras word index (`imdb_word_index.json`: a JSON object of
    /// word → rank), keeping indices below `num_words` for encoding.
    ///
    /// ```
    /// use fireside_datasets::text::Vocabulary;
    ///
    /// let path = std::env::temp_dir().join("fireside-doctest-word-index.json");
    /// Vocabulary::fit(["good good film"], 10_000).save(&path)?;
    /// let vocabulary = Vocabulary::load(&path, 10_000)?;
    /// assert_eq!(vocabulary.index_of("good"), Some(4));
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The file cannot be read, is not JSON, is not an object of word →
    /// positive integer, or its ranks are not 1, 2, 3, …
    pub fn load(path: impl AsRef<Path>, num_words: usize) -> Result<Self> {
        let path = path.as_ref();
        let bad = |reason: String| DatasetError::BadWordIndex { path: path.into(), reason };
        let text =
            fs::read_to_string(path).map_err(|source| DatasetError::Io { path: path.into(), source })?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|error| bad(format!("invalid JSON ({error})")))?;
        let serde_json::Value::Object(object) = json else {
            return Err(bad("it is not a JSON object".into()));
        };
        let mut entries = Vec::with_capacity(object.len());
        for (word, rank) in object {
            let rank = rank
                .as_u64()
                .and_then(|rank| u32::try_from(rank).ok())
                .ok_or_else(|| bad(format!("the rank of {word:?} is {rank}, not a positive integer")))?;
            entries.push((word, rank));
        }
        Self::from_word_index_at(path, entries.into_iter(), num_words)
    }

    /// Writes the vocabulary as a Keras word index (a JSON object of word →
    /// rank, the most frequent word first), which [`load`](Self::load) and
    /// Python's `json.load` read back.
    ///
    /// ```
    /// let path = std::env::temp_dir().join("fireside-doctest-save-index.json");
    /// fireside_datasets::text::Vocabulary::fit(["b a b"], 100).save(&path)?;
    /// assert_eq!(std::fs::read_to_string(&path)?, "{\"b\": 1, \"a\": 2}\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let entries: Vec<String> = self
            .words
            .iter()
            .zip(1..)
            .map(|(word, rank): (&String, u32)| {
                format!("{}: {rank}", serde_json::Value::String(word.clone()))
            })
            .collect();
        fs::write(path, format!("{{{}}}\n", entries.join(", ")))
            .map_err(|source| DatasetError::Write { path: path.into(), source })
    }

    /// How many words the vocabulary knows (encoded or not).
    ///
    /// ```
    /// assert_eq!(fireside_datasets::text::Vocabulary::fit(["to be or not to be"], 10).len(), 4);
    /// ```
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the vocabulary knows no word.
    ///
    /// ```
    /// assert!(fireside_datasets::text::Vocabulary::fit([""], 10).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The bound on indices: [`encode`](Self::encode) gives indices below it,
    /// so it is the `input_dim` an `Embedding` needs.
    ///
    /// ```
    /// assert_eq!(fireside_datasets::text::Vocabulary::fit(["a"], 10_000).num_words(), 10_000);
    /// ```
    pub fn num_words(&self) -> usize {
        self.num_words
    }

    /// The same vocabulary encoding the indices below `num_words`.
    ///
    /// ```
    /// use fireside_datasets::text::Vocabulary;
    ///
    /// let vocabulary = Vocabulary::fit(["a a b"], 10_000).with_num_words(5);
    /// assert_eq!(vocabulary.encode("a b"), [1, 4, 2]);
    /// ```
    pub fn with_num_words(mut self, num_words: usize) -> Self {
        self.num_words = num_words;
        self
    }

    /// The frequency rank of a word (1 for the most frequent), whether or not
    /// it is encoded.
    ///
    /// ```
    /// assert_eq!(fireside_datasets::text::Vocabulary::fit(["a a b"], 3).rank("b"), Some(2));
    /// ```
    pub fn rank(&self, word: &str) -> Option<u32> {
        self.ranks.get(word).copied()
    }

    /// The index that encodes a word (rank + 3), or `None` when the word is
    /// unknown or too rare for `num_words` (then it is encoded as [`OOV`]).
    ///
    /// ```
    /// use fireside_datasets::text::Vocabulary;
    ///
    /// let vocabulary = Vocabulary::fit(["a a b"], 5);
    /// assert_eq!((vocabulary.index_of("a"), vocabulary.index_of("b"), vocabulary.index_of("c")), (Some(4), None, None));
    /// ```
    pub fn index_of(&self, word: &str) -> Option<u32> {
        let index = self.rank(word)? + INDEX_FROM;
        (usize::try_from(index).is_ok_and(|index| index < self.num_words)).then_some(index)
    }

    /// The word an index stands for, `None` for the reserved indices and
    /// indices past the vocabulary.
    ///
    /// ```
    /// use fireside_datasets::text::Vocabulary;
    ///
    /// let vocabulary = Vocabulary::fit(["hello"], 100);
    /// assert_eq!((vocabulary.word(4), vocabulary.word(1), vocabulary.word(5)), (Some("hello"), None, None));
    /// ```
    pub fn word(&self, index: u32) -> Option<&str> {
        let rank = index.checked_sub(INDEX_FROM).filter(|&rank| rank >= 1)?;
        self.words.get(usize::try_from(rank - 1).ok()?).map(String::as_str)
    }

    /// The `count` most frequent words with their indices, the most frequent
    /// first.
    ///
    /// ```
    /// let vocabulary = fireside_datasets::text::Vocabulary::fit(["b a b"], 100);
    /// assert_eq!(vocabulary.most_frequent(5), [(4, "b"), (5, "a")]);
    /// ```
    pub fn most_frequent(&self, count: usize) -> Vec<(u32, &str)> {
        self.words
            .iter()
            .zip(INDEX_FROM + 1..)
            .take(count)
            .map(|(word, index)| (index, word.as_str()))
            .collect()
    }

    /// A text as indices: [`START`], then each word's index, [`OOV`] for a
    /// word that is unknown or too rare; what `keras.datasets.imdb` gives for
    /// a review.
    ///
    /// ```
    /// let vocabulary = fireside_datasets::text::Vocabulary::fit(["not good"], 100);
    /// assert_eq!(vocabulary.encode("Not very good"), [1, 5, 2, 4]);
    /// ```
    pub fn encode(&self, text: &str) -> Vec<u32> {
        std::iter::once(START)
            .chain(tokenize(text).iter().map(|word| self.index_of(word).unwrap_or(OOV)))
            .collect()
    }

    /// [`encode`](Self::encode) for each text.
    ///
    /// ```
    /// let vocabulary = fireside_datasets::text::Vocabulary::fit(["yes no"], 100);
    /// assert_eq!(vocabulary.encode_all(["no", "yes"]), [vec![1, 4], vec![1, 5]]);
    /// ```
    pub fn encode_all<S: AsRef<str>>(&self, texts: impl IntoIterator<Item = S>) -> Vec<Vec<u32>> {
        texts.into_iter().map(|text| self.encode(text.as_ref())).collect()
    }

    /// The words of a sequence, separated by spaces: padding and the start
    /// index are left out, and an out-of-vocabulary index shows as `?`
    /// (Keras's usual decoding of IMDB reviews).
    ///
    /// ```
    /// let vocabulary = fireside_datasets::text::Vocabulary::fit(["a fine film"], 100);
    /// assert_eq!(vocabulary.decode(&[0, 0, 1, 4, 2, 5]), "a ? film");
    /// ```
    pub fn decode(&self, sequence: &[u32]) -> String {
        sequence
            .iter()
            .filter(|&&index| index != PAD && index != START)
            .map(|&index| self.word(index).unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// E.g. `vocabulary of 5310 words; indices below 10000 encode the 5310 most
/// frequent (0 = padding, 1 = start, 2 = out of vocabulary)`.
impl fmt::Display for Vocabulary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let encoded = self.len().min(self.num_words.saturating_sub(INDEX_FROM as usize + 1));
        write!(
            f,
            "vocabulary of {} words; indices below {} encode the {encoded} most frequent \
             (0 = padding, 1 = start, 2 = out of vocabulary)",
            self.len(),
            self.num_words
        )
    }
}

/// Which end of a sequence [`pad_sequences`] pads or truncates.
///
/// ```
/// assert_eq!(fireside_datasets::text::Side::default(), fireside_datasets::text::Side::Pre);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Side {
    /// The beginning (Keras's default `'pre'`): padding goes before the text,
    /// truncation drops its first words. An LSTM then reads the padding
    /// first and the text last, right before its output, which is why Keras
    /// made it the default.
    #[default]
    Pre,
    /// The end (`'post'`).
    Post,
}

/// Brings every sequence to `maxlen` indices, like Keras's `pad_sequences`:
/// a shorter one is padded with `value` on the `padding` side, a longer one
/// loses indices on the `truncating` side. Keras's defaults are
/// `Side::Pre, Side::Pre, 0`.
///
/// ```
/// use fireside_datasets::text::{Side, pad_sequences};
///
/// let sequences = [vec![1, 2, 3], vec![4, 5, 6, 7, 8]];
/// assert_eq!(pad_sequences(&sequences, 4, Side::Pre, Side::Pre, 0), [[0, 1, 2, 3], [5, 6, 7, 8]]);
/// assert_eq!(pad_sequences(&sequences, 4, Side::Post, Side::Post, 9), [[1, 2, 3, 9], [4, 5, 6, 7]]);
/// ```
pub fn pad_sequences<S: AsRef<[u32]>>(
    sequences: &[S],
    maxlen: usize,
    padding: Side,
    truncating: Side,
    value: u32,
) -> Vec<Vec<u32>> {
    sequences
        .iter()
        .map(|sequence| {
            let sequence = sequence.as_ref();
            let kept = match truncating {
                Side::Pre => &sequence[sequence.len().saturating_sub(maxlen)..],
                Side::Post => &sequence[..sequence.len().min(maxlen)],
            };
            let fill = std::iter::repeat_n(value, maxlen - kept.len());
            match padding {
                Side::Pre => fill.chain(kept.iter().copied()).collect(),
                Side::Post => kept.iter().copied().chain(fill).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch_dir;

    #[test]
    fn tokenize_drops_markup_and_punctuation_and_keeps_inner_apostrophes() {
        assert_eq!(
            tokenize("I didn't like it...<br /><br />'Awful', 10/10 NOT!"),
            ["i", "didn't", "like", "it", "awful", "10", "10", "not"]
        );
        assert!(tokenize("  ... !!! ").is_empty());
    }

    #[test]
    fn fit_ranks_by_frequency_then_alphabetically() {
        let vocabulary = Vocabulary::fit(["b c c a", "c b d"], 10_000);
        assert_eq!(vocabulary.most_frequent(10), [(4, "c"), (5, "b"), (6, "a"), (7, "d")]);
        assert_eq!(vocabulary.rank("c"), Some(1));
        assert_eq!(vocabulary.word(7), Some("d"));
        assert_eq!(vocabulary.word(8), None);
        assert_eq!(vocabulary.word(0), None);
        assert_eq!(vocabulary.word(3), None);
    }

    #[test]
    fn num_words_follows_keras_rule_index_below_num_words() {
        // With Keras, num_words=6 keeps indices 0..=5: ranks 1 and 2.
        let vocabulary = Vocabulary::fit(["a a a b b c"], 6);
        assert_eq!(vocabulary.encode("a b c z"), [START, 4, 5, OOV, OOV]);
        assert!(vocabulary.encode_all(["a b c", "c b a"]).iter().flatten().all(|&index| index < 6));
        assert!(vocabulary.to_string().contains("encode the 2 most frequent"), "{vocabulary}");
    }

    #[test]
    fn decode_inverts_encode_for_known_words() {
        let vocabulary = Vocabulary::fit(["the movie was not good", "good acting"], 100);
        let encoded = vocabulary.encode("The movie was NOT good.");
        assert_eq!(vocabulary.decode(&encoded), "the movie was not good");
        let padded = pad_sequences(&[encoded], 10, Side::Pre, Side::Pre, PAD);
        assert_eq!(vocabulary.decode(&padded[0]), "the movie was not good");
    }

    #[test]
    fn word_index_round_trips_through_json() {
        let dir = scratch_dir("text-word-index");
        let path = dir.join("imdb_word_index.json");
        let vocabulary = Vocabulary::fit(["l'amour \"quoted\" words words"], 10_000);
        vocabulary.save(&path).unwrap();
        assert_eq!(Vocabulary::load(&path, 10_000).unwrap(), vocabulary);
    }

    #[test]
    fn keras_word_index_is_read() {
        let dir = scratch_dir("text-keras-index");
        let path = dir.join("imdb_word_index.json");
        fs::write(&path, r#"{"fawn": 34701, "the": 1, "and": 2}"#).unwrap();
        let error = Vocabulary::load(&path, 10_000).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("after rank 2 comes rank 34701"), "{message}");
        assert!(message.contains("imdb_word_index.json is not a Keras word index"), "{message}");

        fs::write(&path, r#"{"the": 1, "and": 2, "a": 3}"#).unwrap();
        let vocabulary = Vocabulary::load(&path, 10_000).unwrap();
        assert_eq!(vocabulary.encode("The end and a"), [1, 4, 2, 5, 6]);
    }

    #[test]
    fn bad_word_index_files_are_explained() {
        let dir = scratch_dir("text-bad-index");
        let path = dir.join("index.json");
        for (content, expected) in [
            ("[1, 2]", "not a JSON object"),
            ("{\"a\": 1, \"b\": \"two\"}", "the rank of \"b\" is \"two\""),
            ("{\"a\": 1", "invalid JSON"),
            ("{\"a\": 1, \"b\": 1}", "after rank 1 comes rank 1"),
        ] {
            fs::write(&path, content).unwrap();
            let message = Vocabulary::load(&path, 10).unwrap_err().to_string();
            assert!(message.contains(expected), "{content}: {message}");
        }
        let missing = Vocabulary::load(dir.join("missing.json"), 10).unwrap_err();
        assert!(matches!(missing, DatasetError::Io { .. }), "{missing:?}");
    }

    #[test]
    fn pad_sequences_matches_keras() {
        let sequences = [vec![1, 2, 3, 4, 5], vec![6], vec![]];
        assert_eq!(
            pad_sequences(&sequences, 3, Side::Pre, Side::Pre, 0),
            [vec![3, 4, 5], vec![0, 0, 6], vec![0, 0, 0]]
        );
        assert_eq!(
            pad_sequences(&sequences, 3, Side::Post, Side::Post, 7),
            [vec![1, 2, 3], vec![6, 7, 7], vec![7, 7, 7]]
        );
        assert_eq!(pad_sequences(&sequences, 3, Side::Pre, Side::Post, 0)[0], [1, 2, 3]);
        assert_eq!(pad_sequences(&sequences, 0, Side::Pre, Side::Pre, 0)[0], Vec::<u32>::new());
    }
}
