//! A labelled set of images (grey-scale or colour) held in memory.

use std::fmt;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::batch::Batches;
use crate::one_hot::one_hot;

/// Labelled images, all of the same size and channel count, ready for training.
///
/// `images` holds every image one after the other, channels-first: for each
/// image its first channel row by row (the red plane of a colour image, the
/// only plane of a grey one), then the next channel, each value normalized
/// to `[0, 1]`. That is the layout of a channels-first tensor of shape
/// `[len, channels, rows, cols]` ([`ImageSet::shape`]), the one the toolkit's
/// models take (PyTorch's layout; Keras's default is channels-last).
///
/// ```
/// use fireside_datasets::Mnist;
///
/// let mnist = Mnist::shipped_subset()?;
/// let set = &mnist.train;
/// assert_eq!(set.shape(), [8000, 1, 28, 28]);
/// assert_eq!(set.image(0).len(), 28 * 28);
/// println!("the first image is a {}", set.class_name(set.labels[0]));
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct ImageSet {
    /// All values, `len × channels × rows × cols` flattened, each in `[0, 1]`.
    pub images: Vec<f32>,
    /// The class of each image, an index into `class_names`.
    pub labels: Vec<u8>,
    /// The number of channels: 1 for grey-scale (MNIST), 3 for RGB (CIFAR-10).
    pub channels: usize,
    /// The height of each image in pixels.
    pub rows: usize,
    /// The width of each image in pixels.
    pub cols: usize,
    /// The name of each class, e.g. `"0"` to `"9"` for MNIST digits.
    pub class_names: Vec<String>,
}

/// How many images [`ImageSet::split`] holds out: a fraction of the set or a count.
///
/// Plain numbers convert into it: `0.1` means 10% of the set, `5000` means
/// 5,000 images.
///
/// ```
/// use fireside_datasets::SplitSize;
///
/// assert_eq!(SplitSize::from(0.25).count_of(400), 100);
/// assert_eq!(SplitSize::from(30).count_of(400), 30);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SplitSize {
    /// A fraction of the set, between 0 and 1; the count is rounded.
    Fraction(f64),
    /// A number of images.
    Count(usize),
}

impl SplitSize {
    /// The number of images this size means in a set of `len` images.
    ///
    /// # Panics
    ///
    /// If a fraction is not between 0 and 1, or a count exceeds `len`.
    ///
    /// ```
    /// use fireside_datasets::SplitSize;
    ///
    /// assert_eq!(SplitSize::Fraction(0.1).count_of(8000), 800);
    /// ```
    pub fn count_of(self, len: usize) -> usize {
        match self {
            Self::Fraction(fraction) => {
                assert!(
                    (0.0..=1.0).contains(&fraction),
                    "a split fraction must be between 0 and 1, got {fraction}"
                );
                (fraction * len as f64).round() as usize
            }
            Self::Count(count) => {
                assert!(count <= len, "cannot hold out {count} images from a set of {len}");
                count
            }
        }
    }
}

impl From<f64> for SplitSize {
    fn from(fraction: f64) -> Self {
        Self::Fraction(fraction)
    }
}

impl From<f32> for SplitSize {
    fn from(fraction: f32) -> Self {
        Self::Fraction(f64::from(fraction))
    }
}

impl From<usize> for SplitSize {
    fn from(count: usize) -> Self {
        Self::Count(count)
    }
}

/// So that an integer literal such as `5000` works (Rust reads it as `i32`).
impl From<i32> for SplitSize {
    fn from(count: i32) -> Self {
        let count = usize::try_from(count)
            .unwrap_or_else(|_| panic!("a split count cannot be negative, got {count}"));
        Self::Count(count)
    }
}

impl ImageSet {
    /// The number of images.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// assert_eq!(set.len(), set.labels.len());
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set has no image.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// assert!(set.take(0).is_empty());
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The number of pixels in one image, `rows × cols` (whatever the
    /// number of channels; see [`ImageSet::values_per_image`]).
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// assert_eq!(set.pixels_per_image(), 784);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// The number of values in one image, `channels × rows × cols`: the
    /// length of [`ImageSet::image`], the input size of a dense network.
    ///
    /// ```
    /// # let set = fireside_datasets::Cifar10::shipped_subset()?.test;
    /// assert_eq!(set.values_per_image(), 3 * 32 * 32);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn values_per_image(&self) -> usize {
        self.channels * self.rows * self.cols
    }

    /// The shape of `images` as a channels-first tensor: `[len, channels, rows, cols]`.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// assert_eq!(set.shape(), [2000, 1, 28, 28]);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn shape(&self) -> [usize; 4] {
        [self.len(), self.channels, self.rows, self.cols]
    }

    /// The number of classes.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// assert_eq!(set.class_count(), 10);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn class_count(&self) -> usize {
        self.class_names.len()
    }

    /// The name of a class, e.g. `"Sneaker"` for label 7 of Fashion-MNIST.
    ///
    /// # Panics
    ///
    /// If `label` is not a class of this set.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// assert_eq!(set.class_name(3), "3");
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn class_name(&self, label: u8) -> &str {
        &self.class_names[usize::from(label)]
    }

    /// The values of image `index`, channels-first: each channel row by row.
    ///
    /// # Panics
    ///
    /// If `index >= self.len()`.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// let brightest = set.image(0).iter().copied().fold(0.0, f32::max);
    /// assert!(brightest <= 1.0);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn image(&self, index: usize) -> &[f32] {
        assert!(index < self.len(), "image {index} is out of range: the set has {} images", self.len());
        let size = self.values_per_image();
        &self.images[index * size..(index + 1) * size]
    }

    /// How many images each class has, indexed by label.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.train;
    /// let counts = set.class_counts();
    /// assert_eq!(counts.iter().sum::<usize>(), set.len());
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.class_count()];
        for &label in &self.labels {
            counts[usize::from(label)] += 1;
        }
        counts
    }

    /// The labels one-hot encoded: `len × class_count` values, 1.0 at each
    /// image's class and 0.0 elsewhere.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// let targets = set.one_hot_labels();
    /// assert_eq!(targets.len(), set.len() * 10);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn one_hot_labels(&self) -> Vec<f32> {
        one_hot(&self.labels, self.class_count())
    }

    /// A new set made of the images at `indices`, in that order.
    ///
    /// # Panics
    ///
    /// If an index is out of range.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// let last_two = set.select(&[set.len() - 2, set.len() - 1]);
    /// assert_eq!(last_two.len(), 2);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn select(&self, indices: &[usize]) -> ImageSet {
        let mut images = Vec::with_capacity(indices.len() * self.values_per_image());
        for &index in indices {
            images.extend_from_slice(self.image(index));
        }
        ImageSet {
            images,
            labels: indices.iter().map(|&index| self.labels[index]).collect(),
            channels: self.channels,
            rows: self.rows,
            cols: self.cols,
            class_names: self.class_names.clone(),
        }
    }

    /// This set's images followed by `other`'s, e.g. a data set's training
    /// and test parts put back together before a split of one's own.
    ///
    /// # Panics
    ///
    /// If the two sets differ in image size, channels or class names.
    ///
    /// ```
    /// # let cifar = fireside_datasets::Cifar10::shipped_subset()?;
    /// let all = cifar.train.concat(&cifar.test);
    /// assert_eq!(all.len(), 3000);
    /// let (train, test) = all.split(0.2, 42); // 80% / 20%
    /// assert_eq!((train.len(), test.len()), (2400, 600));
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn concat(&self, other: &ImageSet) -> ImageSet {
        assert_eq!(
            (self.channels, self.rows, self.cols),
            (other.channels, other.rows, other.cols),
            "cannot concatenate images of {} and {}",
            self.size_text(),
            other.size_text()
        );
        assert_eq!(self.class_names, other.class_names, "cannot concatenate sets with different classes");
        let mut joined = self.clone();
        joined.images.extend_from_slice(&other.images);
        joined.labels.extend_from_slice(&other.labels);
        joined
    }

    /// The first `count` images (all of them if the set is smaller).
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.train;
    /// let quick = set.take(1000);
    /// assert_eq!(quick.len(), 1000);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn take(&self, count: usize) -> ImageSet {
        let count = count.min(self.len());
        ImageSet {
            images: self.images[..count * self.values_per_image()].to_vec(),
            labels: self.labels[..count].to_vec(),
            channels: self.channels,
            rows: self.rows,
            cols: self.cols,
            class_names: self.class_names.clone(),
        }
    }

    /// The same images in a random order; the same `seed` always gives the
    /// same order (with the same version of `rand`).
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// assert_eq!(set.shuffled(7).labels, set.shuffled(7).labels);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn shuffled(&self, seed: u64) -> ImageSet {
        self.select(&shuffled_indices(self.len(), seed))
    }

    /// Splits the set at random into `(train, validation)`, holding out
    /// `validation` images: a fraction (`0.1`) or a count (`5000`).
    ///
    /// Both parts come out shuffled; the same `seed` always gives the same
    /// split (with the same version of `rand`).
    ///
    /// # Panics
    ///
    /// If a fraction is not between 0 and 1, or a count exceeds the set.
    ///
    /// ```
    /// # let mnist = fireside_datasets::Mnist::shipped_subset()?;
    /// let (train, validation) = mnist.train.split(0.1, 42);
    /// assert_eq!((train.len(), validation.len()), (7200, 800));
    ///
    /// let (train, validation) = mnist.train.split(1000, 42);
    /// assert_eq!((train.len(), validation.len()), (7000, 1000));
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn split(&self, validation: impl Into<SplitSize>, seed: u64) -> (ImageSet, ImageSet) {
        let validation_len = validation.into().count_of(self.len());
        let mut train_indices = shuffled_indices(self.len(), seed);
        let validation_indices = train_indices.split_off(self.len() - validation_len);
        (self.select(&train_indices), self.select(&validation_indices))
    }

    /// The images in consecutive batches of `batch_size` (the last one may be
    /// smaller), without copying. Shuffle first with [`ImageSet::shuffled`]
    /// for training.
    ///
    /// # Panics
    ///
    /// If `batch_size` is 0.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// for batch in set.batches(64) {
    ///     let [n, channels, rows, cols] = batch.shape();
    ///     assert_eq!(batch.images.len(), n * channels * rows * cols);
    ///     assert_eq!(batch.labels.len(), n);
    /// }
    /// assert_eq!(set.batches(64).len(), 32); // 2000 images: 31 full batches and one of 16
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn batches(&self, batch_size: usize) -> Batches<'_> {
        Batches::new(self, batch_size)
    }
}

/// `0..len` in an order given by `seed`.
fn shuffled_indices(len: usize, seed: u64) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..len).collect();
    indices.shuffle(&mut StdRng::seed_from_u64(seed));
    indices
}

/// A summary, not the millions of pixels.
impl fmt::Debug for ImageSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImageSet")
            .field("len", &self.len())
            .field("channels", &self.channels)
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("class_names", &self.class_names)
            .finish_non_exhaustive()
    }
}

/// E.g. `8000 images of 28x28 in 10 classes` (grey-scale) or
/// `2500 images of 32x32x3 in 10 classes` (colour: rows × cols × channels,
/// the way Keras writes an input shape).
impl fmt::Display for ImageSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} images of {} in {} classes", self.len(), self.size_text(), self.class_count())
    }
}

impl ImageSet {
    /// `28x28` for one channel, `32x32x3` for more.
    pub(crate) fn size_text(&self) -> String {
        if self.channels == 1 {
            format!("{}x{}", self.rows, self.cols)
        } else {
            format!("{}x{}x{}", self.rows, self.cols, self.channels)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` images of 1×2 pixels whose pixels and label encode their index.
    fn numbered(len: usize) -> ImageSet {
        ImageSet {
            images: (0..len).flat_map(|i| [i as f32, i as f32]).collect(),
            labels: (0..len).map(|i| (i % 3) as u8).collect(),
            channels: 1,
            rows: 1,
            cols: 2,
            class_names: vec!["a".into(), "b".into(), "c".into()],
        }
    }

    /// The index each image of a `numbered` set came from.
    fn origins(set: &ImageSet) -> Vec<usize> {
        (0..set.len()).map(|i| set.image(i)[0] as usize).collect()
    }

    #[test]
    fn split_is_deterministic_for_a_seed() {
        let set = numbered(100);
        let (train_a, validation_a) = set.split(0.2, 42);
        let (train_b, validation_b) = set.split(0.2, 42);
        assert_eq!(origins(&train_a), origins(&train_b));
        assert_eq!(origins(&validation_a), origins(&validation_b));
        assert_ne!(origins(&validation_a), origins(&set.split(0.2, 43).1), "another seed, another split");
    }

    #[test]
    fn split_partitions_the_set() {
        let set = numbered(100);
        let (train, validation) = set.split(25, 1);
        assert_eq!((train.len(), validation.len()), (75, 25));
        let mut all = [origins(&train), origins(&validation)].concat();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        for i in 0..train.len() {
            assert_eq!(usize::from(train.labels[i]), origins(&train)[i] % 3, "labels follow their images");
        }
    }

    #[test]
    fn split_sizes_from_fractions_and_counts() {
        let set = numbered(10);
        assert_eq!(set.split(0.0, 0).1.len(), 0);
        assert_eq!(set.split(1.0, 0).1.len(), 10);
        assert_eq!(set.split(0.25_f32, 0).1.len(), 3); // 2.5 rounds away from zero
        assert_eq!(set.split(4_usize, 0).1.len(), 4);
    }

    #[test]
    #[should_panic(expected = "cannot hold out 11 images from a set of 10")]
    fn split_count_larger_than_the_set_panics() {
        numbered(10).split(11, 0);
    }

    #[test]
    fn shuffled_keeps_every_image_once() {
        let set = numbered(50);
        let shuffled = set.shuffled(3);
        assert_ne!(origins(&shuffled), origins(&set));
        let mut sorted = origins(&shuffled);
        sorted.sort_unstable();
        assert_eq!(sorted, origins(&set));
    }

    #[test]
    fn take_keeps_the_first_images() {
        let set = numbered(5);
        assert_eq!(origins(&set.take(2)), vec![0, 1]);
        assert_eq!(set.take(9).len(), 5);
    }

    #[test]
    fn concat_appends_images_and_labels() {
        let joined = numbered(3).concat(&numbered(2));
        assert_eq!(origins(&joined), vec![0, 1, 2, 0, 1]);
        assert_eq!(joined.labels, vec![0, 1, 2, 0, 1]);
    }

    #[test]
    #[should_panic(expected = "cannot concatenate images of 1x2 and 1x2x3")]
    fn concat_of_different_channels_panics() {
        let mut rgb = numbered(1);
        rgb.channels = 3;
        numbered(1).concat(&rgb);
    }

    #[test]
    fn debug_does_not_print_pixels() {
        let debug = format!("{:?}", numbered(1000));
        assert!(debug.len() < 200, "{debug}");
        assert!(debug.contains("len: 1000"), "{debug}");
    }
}
