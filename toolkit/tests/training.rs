//! The toolkit end to end on the CPU backend: a Keras-style model learns,
//! stops cleanly when interrupted, and saves and loads its weights.

mod common;

use fireside::prelude::*;

fn separable_data(n: usize) -> (Tensor<2>, Tensor<1, Int>) {
    let device = device();
    device.seed(3);
    let x = Tensor::<2>::random([n, 4], Distribution::Normal(0.0, 1.0), &device);
    // The class is whether the features sum to a positive number.
    let y = x.clone().sum_dim(1).greater_elem(0.0).int().flatten::<1>(0, 1);
    (x, y)
}

fn classifier() -> Sequential {
    Sequential::new()
        .add(Dense::new(16).activation(Activation::Relu).input_dim(4))
        .unwrap()
        .add(Dense::new(2).activation(Activation::Softmax))
        .unwrap()
}

#[test]
fn a_sequential_model_learns_a_separable_problem() {
    let (x, y) = separable_data(512);
    let mut model = classifier().compile(
        Optimizer::adam().learning_rate(0.01),
        Loss::SparseCategoricalCrossEntropy { from_logits: false },
        &[Metric::Accuracy],
    );
    let history = model
        .fit(x.clone(), y.clone(), Fit::epochs(20).batch_size(32).validation_split(0.2).quiet())
        .unwrap();
    assert_eq!(history.epochs.len(), 20);
    assert!(history.loss()[19] < history.loss()[0], "the loss goes down");
    let result = model.evaluate(x, y).unwrap();
    assert!(result.accuracy.unwrap() > 0.9, "{result}");
}

#[test]
fn the_summary_counts_parameters_like_keras() {
    let summary = common::seed_a_cnn().summary();
    // The figures Keras prints for seed A's model.
    let params: Vec<usize> = summary.rows.iter().map(|r| r.2).collect();
    assert_eq!(params, vec![320, 0, 18496, 0, 0, 102464, 650]);
    assert_eq!(summary.total, 121930);
    assert_eq!(summary.rows[1].1, vec![32, 13, 13]);
}

#[test]
fn a_layer_that_cannot_take_its_input_says_what_to_do() {
    let error = Sequential::with_input([1, 28, 28]).add(Dense::new(10)).unwrap_err();
    assert!(error.to_string().contains("add Flatten"), "{error}");
    let error = Sequential::new().add(Dense::new(10)).unwrap_err();
    assert!(error.to_string().contains("input_shape"), "{error}");
}

#[test]
fn what_a_notebook_can_get_wrong_is_an_error_that_names_the_fix() {
    let (x, y) = separable_data(64);
    let sparse = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    let mut model = classifier().compile(Optimizer::adam(), sparse, &[]);
    let wrong_width = Tensor::<2>::zeros([64, 3], &device());
    let error = model.fit(wrong_width, y.clone(), Fit::epochs(1).quiet()).unwrap_err();
    assert!(matches!(error, FitError::InputShape { .. }) && error.to_string().contains("reshape"), "{error}");
    let error = model.evaluate(x.clone(), y.clone().narrow(0, 0, 10)).unwrap_err();
    assert_eq!(error, FitError::TargetCount { examples: 64, targets: 10 });
    let one_hot = y.clone().one_hot::<2>(2).float();
    let error = model.fit(x.clone(), one_hot, Fit::epochs(1).quiet()).unwrap_err();
    assert!(error.to_string().contains("Loss::CategoricalCrossEntropy"), "{error}");
    let error = model.fit(x.clone(), y.clone(), Fit::epochs(1).batch_size(0).quiet()).unwrap_err();
    assert_eq!(error, FitError::ZeroBatchSize);
    let error = model.fit(x.clone(), y.clone(), Fit::epochs(1).validation_split(1.5).quiet()).unwrap_err();
    assert_eq!(error, FitError::ValidationSplit(1.5));
    let error = Sequential::with_input([4]).add(Dropout::new(1.5)).unwrap_err();
    assert!(error.to_string().contains("[0, 1)"), "{error}");
    assert!(ConfusionMatrix::new(&[0, 3], &[0, 1], 2).is_err(), "class 3 of 2");
    assert!(metrics::k_fold(10, 1, 0).is_err());
    // Nothing was trained by the refused calls, and the model still works.
    assert!(model.fit(x, y, Fit::epochs(1).quiet()).is_ok());
}

#[test]
fn early_stopping_ends_training_when_the_loss_stops_improving() {
    let (x, y) = separable_data(128);
    let sparse = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    // A learning rate of 0 never improves: the second epoch stops it.
    let mut model = classifier().compile(Optimizer::sgd(0.0), sparse, &[]);
    let options = Fit::epochs(50).quiet().callback(EarlyStopping::new().min_delta(1e-4));
    let history = model.fit(x, y, options).unwrap();
    assert!(history.stopped_early);
    assert_eq!(history.epochs.len(), 2);
}

#[test]
fn weights_survive_a_save_and_load() {
    let (x, y) = separable_data(128);
    let mut model = classifier().compile(
        Optimizer::adam(),
        Loss::SparseCategoricalCrossEntropy { from_logits: false },
        &[],
    );
    model.fit(x.clone(), y, Fit::epochs(2).quiet()).unwrap();
    let path = std::env::temp_dir().join(format!("fireside-model-{}", std::process::id()));
    model.save(&path).unwrap();
    let restored = model
        .network()
        .fresh_copy()
        .compile(Optimizer::adam(), Loss::SparseCategoricalCrossEntropy { from_logits: false }, &[])
        .load(&path)
        .unwrap();
    let before = model.predict(x.clone()).unwrap().values();
    let after = restored.predict(x).unwrap().values();
    assert!(before.iter().zip(&after).all(|(a, b)| (a - b).abs() < 1e-6));
    let _ = std::fs::remove_file(path.with_extension("bpk"));
}
