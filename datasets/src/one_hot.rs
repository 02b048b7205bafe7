//! One-hot encoding of class labels.

/// Encodes `labels` as one-hot rows: `labels.len() × class_count` values,
/// 1.0 at each label's class and 0.0 elsewhere.
///
/// # Panics
///
/// If a label is not below `class_count`.
///
/// ```
/// use fireside_datasets::one_hot;
///
/// assert_eq!(one_hot(&[2, 0], 3), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// ```
pub fn one_hot(labels: &[u8], class_count: usize) -> Vec<f32> {
    let mut encoded = vec![0.0; labels.len() * class_count];
    for (row, &label) in labels.iter().enumerate() {
        let class = usize::from(label);
        assert!(class < class_count, "label {label} is not below the class count {class_count}");
        encoded[row * class_count + class] = 1.0;
    }
    encoded
}
