//! Consecutive mini-batches of an [`ImageSet`], borrowed without copying.

use std::fmt;

use crate::image_set::ImageSet;
use crate::one_hot::one_hot;

/// A slice of consecutive images of an [`ImageSet`] with their labels.
///
/// ```
/// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
/// let batch = set.batches(32).next().unwrap();
/// assert_eq!(batch.len(), 32);
/// assert_eq!(batch.shape(), [32, 1, 28, 28]);
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, Copy, PartialEq)]
pub struct Batch<'a> {
    /// The values, `len × channels × rows × cols` flattened, each in `[0, 1]`.
    pub images: &'a [f32],
    /// The class of each image.
    pub labels: &'a [u8],
    /// The number of channels of each image (1 grey-scale, 3 RGB).
    pub channels: usize,
    /// The height of each image in pixels.
    pub rows: usize,
    /// The width of each image in pixels.
    pub cols: usize,
}

impl Batch<'_> {
    /// The number of images in the batch.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// assert_eq!(set.batches(1500).last().unwrap().len(), 500);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the batch has no image (never the case for one from [`Batches`]).
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// assert!(!set.batches(10).next().unwrap().is_empty());
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The shape of `images` as a channels-first tensor: `[len, channels, rows, cols]`.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// let [n, _, rows, cols] = set.batches(8).next().unwrap().shape();
    /// assert_eq!((n, rows, cols), (8, 28, 28));
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn shape(&self) -> [usize; 4] {
        [self.len(), self.channels, self.rows, self.cols]
    }

    /// The labels one-hot encoded: `len × class_count` values.
    ///
    /// ```
    /// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
    /// let batch = set.batches(4).next().unwrap();
    /// assert_eq!(batch.one_hot_labels(10).len(), 40);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn one_hot_labels(&self, class_count: usize) -> Vec<f32> {
        one_hot(self.labels, class_count)
    }
}

/// A summary, not the pixels.
impl fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("shape", &self.shape())
            .field("labels", &self.labels)
            .finish_non_exhaustive()
    }
}

/// The iterator returned by [`ImageSet::batches`].
///
/// ```
/// # let set = fireside_datasets::Mnist::shipped_subset()?.test;
/// let batches = set.batches(100);
/// assert_eq!(batches.len(), 20);
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Batches<'a> {
    set: &'a ImageSet,
    batch_size: usize,
    /// The index of the next batch's first image.
    next_start: usize,
}

impl<'a> Batches<'a> {
    pub(crate) fn new(set: &'a ImageSet, batch_size: usize) -> Self {
        assert!(batch_size > 0, "the batch size must be at least 1");
        Self { set, batch_size, next_start: 0 }
    }
}

impl<'a> Iterator for Batches<'a> {
    type Item = Batch<'a>;

    fn next(&mut self) -> Option<Batch<'a>> {
        let start = self.next_start;
        if start >= self.set.len() {
            return None;
        }
        let end = (start + self.batch_size).min(self.set.len());
        self.next_start = end;
        let values = self.set.values_per_image();
        Some(Batch {
            images: &self.set.images[start * values..end * values],
            labels: &self.set.labels[start..end],
            channels: self.set.channels,
            rows: self.set.rows,
            cols: self.set.cols,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.set.len().saturating_sub(self.next_start).div_ceil(self.batch_size);
        (remaining, Some(remaining))
    }
}

impl ExactSizeIterator for Batches<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_the_set_in_order_with_a_smaller_last_one() {
        let set = ImageSet {
            images: (0..7).map(|i| i as f32).collect(),
            labels: (0..7).collect(),
            channels: 1,
            rows: 1,
            cols: 1,
            class_names: (0..7).map(|i| i.to_string()).collect(),
        };
        let batches: Vec<Batch<'_>> = set.batches(3).collect();
        assert_eq!(batches.len(), 3);
        assert_eq!(batches[0].labels, &[0, 1, 2]);
        assert_eq!(batches[2].labels, &[6]);
        assert_eq!(batches[2].images, &[6.0]);
        assert_eq!(batches[2].shape(), [1, 1, 1, 1]);

        let mut iterator = set.batches(3);
        assert_eq!(iterator.len(), 3);
        iterator.next();
        assert_eq!(iterator.len(), 2);
    }
}
