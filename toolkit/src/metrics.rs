//! Accuracy, the confusion matrix and k-fold cross-validation indices.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let matrix = ConfusionMatrix::new(&[0, 1, 1], &[0, 1, 0], 2)?;
//! assert_eq!(matrix.accuracy(), 2.0 / 3.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::display::{MimeBundle, Rich, escape};
use crate::training::Targets;
use burn::tensor::{Int, Tensor};
use rand::SeedableRng;
use rand::seq::SliceRandom;

/// The predicted class of each row: the arg-max of scores, or score ≥
/// `threshold` for a single output column (binary classification). PyTorch:
/// `outputs.argmax(dim=1)`.
///
/// ```
/// use fireside::prelude::*;
/// let scores = Tensor::<2>::from_floats([[0.1, 0.9], [0.8, 0.2]], &device());
/// assert_eq!(metrics::predicted_classes(scores, 0.5).values(), vec![1, 0]);
/// let probabilities = Tensor::<2>::from_floats([[0.7], [0.2]], &device());
/// assert_eq!(metrics::predicted_classes(probabilities, 0.5).values(), vec![1, 0]);
/// ```
pub fn predicted_classes(outputs: Tensor<2>, threshold: f32) -> Tensor<1, Int> {
    let [_, columns] = outputs.dims();
    if columns == 1 {
        outputs.greater_equal_elem(threshold).int().flatten(0, 1)
    } else {
        outputs.argmax(1).flatten(0, 1)
    }
}

/// The class each target names: class indices as they are, one-hot rows
/// (or probabilities) by their arg-max.
///
/// ```
/// use fireside::prelude::*;
/// let one_hot = Tensor::<2>::from_floats([[0.0, 1.0], [1.0, 0.0]], &device());
/// assert_eq!(metrics::target_classes(&Targets::Values(one_hot)).values(), vec![1, 0]);
/// ```
pub fn target_classes(targets: &Targets) -> Tensor<1, Int> {
    match targets {
        Targets::Classes(classes) => classes.clone(),
        Targets::Values(values) => predicted_classes(values.clone(), 0.5),
    }
}

/// The fraction of rows whose predicted class is the target's (Keras's
/// `metrics=["accuracy"]`).
///
/// ```
/// use fireside::prelude::*;
/// let outputs = Tensor::<2>::from_floats([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], &device());
/// let targets = Targets::from(Tensor::<1, Int>::from_ints([1, 0, 0], &device()));
/// assert!((metrics::accuracy(outputs, &targets, 0.5) - 2.0 / 3.0).abs() < 1e-6);
/// ```
pub fn accuracy(outputs: Tensor<2>, targets: &Targets, threshold: f32) -> f32 {
    let predicted = predicted_classes(outputs, threshold);
    let n = predicted.dims()[0].max(1);
    let correct: i64 = predicted.equal(target_classes(targets)).int().sum().into_scalar::<i64>();
    correct as f32 / n as f32
}

/// Why a metric cannot be computed from what it was given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// The predictions and the targets differ in number.
    #[error("{predicted} predictions but {actual} targets: give one prediction per target")]
    Lengths { predicted: usize, actual: usize },
    /// A class index at or above the number of classes.
    #[error("class {class} does not exist: there are {classes} classes (0 to {})", classes.saturating_sub(1))]
    ClassOutOfRange { class: usize, classes: usize },
    /// `k_fold` with k outside 2..=n.
    #[error("k-fold needs 2 <= k <= n (k = {k}, n = {n})")]
    Folds { k: usize, n: usize },
}

/// One fold of [`k_fold`]: the indices to train on and those to validate on.
pub type Fold = (Vec<usize>, Vec<usize>);

/// Counts of (actual class, predicted class) pairs (scikit-learn's
/// `confusion_matrix`). As a cell's last expression it shows as a table and a heat map.
///
/// ```
/// use fireside::prelude::*;
/// let matrix = ConfusionMatrix::new(&[0, 1, 1], &[0, 1, 0], 2)?;
/// assert_eq!(matrix.counts, vec![vec![1, 1], vec![0, 1]]);   // one 0 taken for a 1
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ConfusionMatrix {
    /// `counts[actual][predicted]`
    pub counts: Vec<Vec<usize>>,
    /// The name of each class, shown on the axes; "0", "1", … unless set.
    pub class_names: Vec<String>,
}

impl ConfusionMatrix {
    /// Counts the pairs of `predicted` and `actual` classes, each below `classes`;
    /// an error if the slices differ in length or a class is out of range.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let matrix = ConfusionMatrix::new(&[0, 1, 1, 2, 1], &[0, 1, 0, 2, 0], 3)?;
    /// assert_eq!(matrix.counts[0], vec![1, 2, 0]);   // two 0s were predicted as 1s
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(predicted: &[usize], actual: &[usize], classes: usize) -> Result<Self, MetricsError> {
        if predicted.len() != actual.len() {
            return Err(MetricsError::Lengths { predicted: predicted.len(), actual: actual.len() });
        }
        if let Some(&class) = predicted.iter().chain(actual).find(|&&c| c >= classes) {
            return Err(MetricsError::ClassOutOfRange { class, classes });
        }
        let mut counts = vec![vec![0; classes]; classes];
        for (&p, &a) in predicted.iter().zip(actual) {
            counts[a][p] += 1;
        }
        Ok(ConfusionMatrix { counts, class_names: (0..classes).map(|c| c.to_string()).collect() })
    }

    /// Names the classes, in class order, for the table and the plot.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let matrix = ConfusionMatrix::new(&[0, 1], &[0, 0], 2)?.with_class_names(&["cat", "dog"]);
    /// assert_eq!(matrix.class_names, vec!["cat", "dog"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_class_names(mut self, names: &[impl AsRef<str>]) -> Self {
        self.class_names = names.iter().map(|n| n.as_ref().to_owned()).collect();
        self
    }

    /// The fraction of the counts on the diagonal: correct predictions.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let matrix = ConfusionMatrix::new(&[0, 1, 1, 1], &[0, 1, 0, 1], 2)?;
    /// assert_eq!(matrix.accuracy(), 0.75);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accuracy(&self) -> f64 {
        let total: usize = self.counts.iter().flatten().sum();
        let correct: usize = (0..self.counts.len()).map(|c| self.counts[c][c]).sum();
        correct as f64 / total.max(1) as f64
    }

    /// The most frequent mistakes: (actual, predicted, count), largest first.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let matrix = ConfusionMatrix::new(&[0, 1, 1, 2, 1], &[0, 1, 0, 2, 0], 3)?;
    /// assert_eq!(matrix.top_confusions(1), vec![(0, 1, 2)]);   // 0 taken for 1, twice
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn top_confusions(&self, n: usize) -> Vec<(usize, usize, usize)> {
        let mut mistakes: Vec<(usize, usize, usize)> = self
            .counts
            .iter()
            .enumerate()
            .flat_map(|(a, row)| {
                row.iter().enumerate().filter(move |(p, c)| *p != a && **c > 0).map(move |(p, &c)| (a, p, c))
            })
            .collect();
        mistakes.sort_by_key(|m| std::cmp::Reverse(m.2));
        mistakes.truncate(n);
        mistakes
    }

    /// The matrix as a heat map: rows are actual classes, columns predicted.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let matrix = ConfusionMatrix::new(&[0, 1, 1], &[0, 1, 0], 2)?.with_class_names(&["cat", "dog"]);
    /// display(&matrix.plot());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn plot(&self) -> crate::plot::HeatMap {
        let values = self.counts.iter().map(|row| row.iter().map(|&c| c as f32).collect()).collect();
        crate::plot::HeatMap::new("Confusion matrix", values)
            .labels(&self.class_names, &self.class_names)
            .axis_names("predicted", "actual")
    }
}

impl Rich for ConfusionMatrix {
    fn to_mime(&self) -> MimeBundle {
        let width = self.class_names.iter().map(String::len).max().unwrap_or(1).max(5);
        let mut text = format!("{:>width$} | predicted\n", "actual");
        for (a, row) in self.counts.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(|c| format!("{c:>5}")).collect();
            text.push_str(&format!("{:>width$} | {}\n", escape(&self.class_names[a]), cells.join("")));
        }
        text.push_str(&format!("accuracy {:.4}", self.accuracy()));
        let plot = self.plot().to_mime();
        plot.clone().with("text/plain", text)
    }
}

/// `k` (train, validation) index splits of `n` examples for k-fold
/// cross-validation, shuffled with `seed`: every example is validated once.
///
/// ```
/// let folds = fireside::metrics::k_fold(10, 5, 0)?;
/// assert_eq!(folds.len(), 5);
/// assert!(folds.iter().all(|(train, validation)| train.len() == 8 && validation.len() == 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn k_fold(n: usize, k: usize, seed: u64) -> Result<Vec<Fold>, MetricsError> {
    if k < 2 || k > n {
        return Err(MetricsError::Folds { k, n });
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    Ok((0..k)
        .map(|fold| {
            let start = fold * n / k;
            let end = (fold + 1) * n / k;
            let validation = order[start..end].to_vec();
            let train = order[..start].iter().chain(&order[end..]).copied().collect();
            (train, validation)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_counts_and_mistakes() {
        let m = ConfusionMatrix::new(&[0, 1, 1, 2, 1], &[0, 1, 0, 2, 0], 3).unwrap();
        assert_eq!(m.counts[0], vec![1, 2, 0]);
        assert_eq!(m.top_confusions(1), vec![(0, 1, 2)]);
        assert!((m.accuracy() - 0.6).abs() < 1e-9);
    }

    #[test]
    fn every_example_is_validated_once() {
        let folds = k_fold(23, 4, 7).unwrap();
        let mut seen: Vec<usize> = folds.iter().flat_map(|(_, v)| v.clone()).collect();
        seen.sort();
        assert_eq!(seen, (0..23).collect::<Vec<_>>());
    }
}
