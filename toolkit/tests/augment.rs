//! Training from a batch source: `fit_generator` on augmented images learns,
//! validates from a second source, and repeats with a seed.

use fireside::prelude::*;

/// `n` 1×8×8 images: class 0 a horizontal bar, class 1 a vertical bar, at
/// a random place, with noise. Flips and small shifts keep the class.
fn bars(n: usize, seed: u64) -> (Tensor<4>, Tensor<1, Int>) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut pixels = Vec::with_capacity(n * 64);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 2;
        let at = rng.random_range(2..6);
        for row in 0..8 {
            for col in 0..8 {
                let on = if class == 0 { row == at } else { col == at };
                pixels.push(if on { 1.0 } else { rng.random_range(0.0..0.2) });
            }
        }
        labels.push(class as i64);
    }
    let device = device();
    (
        Tensor::from_data(TensorData::new(pixels, [n, 1, 8, 8]), &device),
        Tensor::from_data(TensorData::new(labels, [n]), &device),
    )
}

fn network() -> Sequential {
    Sequential::with_input([1, 8, 8])
        .add(Flatten)
        .unwrap()
        .add(Dense::new(16).activation(Activation::Relu))
        .unwrap()
        .add(Dense::new(2).activation(Activation::Softmax))
        .unwrap()
}

fn compile(network: Sequential) -> Model {
    network.compile(
        Optimizer::adam().learning_rate(0.01),
        Loss::SparseCategoricalCrossEntropy { from_logits: false },
        &[Metric::Accuracy],
    )
}

fn classifier() -> Model {
    compile(network())
}

#[test]
fn fit_generator_learns_from_augmented_batches() {
    let (x, y) = bars(256, 1);
    let (x_test, y_test) = bars(64, 2);
    let augment = ImageDataGenerator::new().horizontal_flip(true).vertical_flip(true).width_shift_range(1.0);
    let mut train = augment.flow(x, y, 32).unwrap();
    let mut test = ImageDataGenerator::new().flow(x_test.clone(), y_test.clone(), 32).unwrap();
    let mut model = classifier();
    let history =
        model.fit_generator(&mut train, Fit::epochs(8).validation_steps(2).quiet(), Some(&mut test)).unwrap();
    assert_eq!(history.epochs.len(), 8);
    let loss = history.loss();
    assert!(loss[7] < loss[0] * 0.5, "the loss goes down: {loss:?}");
    assert_eq!(history.val_loss().len(), 8, "validated after every epoch");
    let result = model.evaluate_generator(&mut test, None).unwrap();
    assert!(result.accuracy.unwrap() > 0.9, "{result}");
    // The generator's figures agree with evaluating the tensors directly.
    let direct = model.evaluate(x_test, y_test).unwrap();
    assert!((direct.loss - result.loss).abs() < 1e-4, "{direct} vs {result}");
}

#[test]
fn steps_per_epoch_and_in_memory_validation() {
    let (x, y) = bars(64, 3);
    let mut train = ImageDataGenerator::new().flow(x.clone(), y.clone(), 16).unwrap();
    let mut model = classifier();
    let options = Fit::epochs(2).steps_per_epoch(3).validation_data(x, y).quiet();
    let history = model.fit_generator(&mut train, options, None).unwrap();
    assert_eq!(history.val_accuracy().len(), 2);
    // 2 epochs of 3 batches of 16: the flow is 6 batches into its second pass of 4.
    assert_eq!(train.next_batch().0.len(), 16);
}

#[test]
fn fit_generator_repeats_with_the_same_seeds() {
    // The same initial weights (the weights' seed is global, and tests run in parallel).
    let start = network();
    let run = || {
        let (x, y) = bars(64, 4);
        let mut train =
            ImageDataGenerator::new().rotation_range(15.0).zoom_range(0.1).seed(5).flow(x, y, 16).unwrap();
        compile(start.clone()).fit_generator(&mut train, Fit::epochs(2).quiet(), None).unwrap().loss()
    };
    assert_eq!(run(), run());
}

#[test]
fn validation_split_is_refused_with_a_generator() {
    let (x, y) = bars(8, 5);
    let mut train = ImageDataGenerator::new().flow(x, y, 4).unwrap();
    let error = classifier()
        .fit_generator(&mut train, Fit::epochs(1).validation_split(0.2).quiet(), None)
        .unwrap_err();
    assert!(error.to_string().contains("pass a validation source"), "{error}");
}

#[test]
fn options_out_of_range_are_refused_when_the_flow_is_made() {
    let (x, y) = bars(8, 5);
    let error = ImageDataGenerator::new().rotation_range(-5.0).flow(x.clone(), y.clone(), 4).unwrap_err();
    assert!(error.to_string().starts_with("rotation_range"), "{error}");
    let error = ImageDataGenerator::new().zoom_range(1.5).flow(x.clone(), y.clone(), 4).unwrap_err();
    assert!(error.to_string().contains("z < 1"), "{error}");
    assert!(ImageDataGenerator::new().flow(x, y, 0).is_err(), "batch_size 0");
}

#[test]
fn flow_from_directory_reads_class_folders_at_keras_scale() {
    let dir = std::env::temp_dir().join(format!("fireside-test-flow-dir-{}", std::process::id()));
    let set = fireside::datasets::ImageSet {
        images: (0..6 * 3 * 4 * 4).map(|i| (i % 5) as f32 / 4.0).collect(),
        labels: vec![0, 1, 2, 0, 1, 2],
        channels: 3,
        rows: 4,
        cols: 4,
        class_names: vec!["cat".into(), "dog".into(), "fox".into()],
    };
    set.save_to_folders(&dir).unwrap();
    let raw = ImageDataGenerator::new().flow_from_directory(&dir, (4, 4), 6).unwrap();
    let mut scaled =
        ImageDataGenerator::new().rescale(1.0 / 255.0).flow_from_directory(&dir, (4, 4), 6).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((raw.samples(), raw.len(), raw.image_shape()), (6, 1, [3, 4, 4]));
    assert_eq!(raw.class_names(), ["cat", "dog", "fox"]);
    assert_eq!(raw.class_indices()["fox"], 2);
    let max = |t: Tensor<4>| t.values().into_iter().fold(0.0f32, f32::max);
    assert_eq!(max(raw.clone().next().unwrap().0), 255.0, "Keras's 0..255 before rescale");
    let (images, targets) = scaled.next().unwrap();
    assert!((max(images) - 1.0).abs() < 1e-6, "rescale(1/255) gives [0, 1]");
    let Targets::Values(one_hot) = targets else { panic!("flow_from_directory gives one-hot rows") };
    assert_eq!(one_hot.dims(), [6, 3]);
    assert_eq!(one_hot.sum_dim(1).values(), vec![1.0; 6]);
}
