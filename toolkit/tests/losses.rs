//! Each loss against its formula on hand-made numbers, and against burn's.

use fireside::prelude::*;

fn scalar(t: Tensor<1>) -> f32 {
    t.into_scalar()
}

#[test]
fn regression_losses() {
    let d = device();
    let y = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &d);
    let p = Tensor::<1>::from_floats([1.5, 2.0, 2.0], &d);
    assert!((scalar(losses::mse(p.clone(), y.clone())) - 1.25 / 3.0).abs() < 1e-6);
    assert!((scalar(losses::half_mse(p, y)) - 1.25 / 6.0).abs() < 1e-6);
}

#[test]
fn cross_entropies_agree_with_their_formulas_and_each_other() {
    let d = device();
    let p = Tensor::<2>::from_floats([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], &d);
    let one_hot = Tensor::<2>::from_floats([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], &d);
    let classes = Tensor::<1, Int>::from_ints([0, 1], &d);
    let expected = -((0.7f32).ln() + (0.8f32).ln()) / 2.0;
    assert!((scalar(losses::categorical_cross_entropy(p.clone(), one_hot.clone())) - expected).abs() < 1e-6);
    assert!((scalar(losses::sparse_categorical_cross_entropy(p, classes.clone())) - expected).abs() < 1e-6);

    let logits = Tensor::<2>::from_floats([[2.0, 0.5, -1.0], [0.1, 1.9, 0.3]], &d);
    let ours = scalar(losses::sparse_categorical_cross_entropy_with_logits(logits.clone(), classes.clone()));
    let one_hot_form = scalar(losses::categorical_cross_entropy_with_logits(logits.clone(), one_hot));
    let burns = scalar(burn::nn::loss::CrossEntropyLossConfig::new().init(&d).forward(logits, classes));
    assert!((ours - burns).abs() < 1e-5 && (one_hot_form - burns).abs() < 1e-5);
}

#[test]
fn binary_cross_entropy_on_probabilities_and_logits() {
    let d = device();
    let y = Tensor::<1>::from_floats([1.0, 0.0, 1.0], &d);
    let p = Tensor::<1>::from_floats([0.9, 0.2, 0.6], &d);
    let expected = -((0.9f32).ln() + (0.8f32).ln() + (0.6f32).ln()) / 3.0;
    assert!((scalar(losses::binary_cross_entropy(p.clone(), y.clone())) - expected).abs() < 1e-6);
    let logits = (p.clone() / (p.neg() + 1.0)).log();
    assert!((scalar(losses::binary_cross_entropy_with_logits(logits, y)) - expected).abs() < 1e-5);
}
