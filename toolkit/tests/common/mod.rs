//! What several integration tests build.

use fireside::prelude::*;

/// Seed A's CNN for 28x28 digits, the model of chapter 05.
pub fn seed_a_cnn() -> Sequential {
    Sequential::new()
        .add(Conv2d::new(32, 3).activation(Activation::Relu).input_shape([1, 28, 28]))
        .unwrap()
        .add(MaxPool2d::new(2))
        .unwrap()
        .add(Conv2d::new(64, 3).activation(Activation::Relu))
        .unwrap()
        .add(MaxPool2d::new(2))
        .unwrap()
        .add(Flatten)
        .unwrap()
        .add(Dense::new(64).activation(Activation::Relu))
        .unwrap()
        .add(Dense::new(10).activation(Activation::Softmax))
        .unwrap()
}
