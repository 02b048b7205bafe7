//! Times training steps of seed A's CNN (chapter 05) on a batch of 64 real
//! MNIST digits, on the backend fireside chooses (or `FIRESIDE_BACKEND`):
//! the first step (with wgpu, shader compilation and autotuning) and the
//! mean of the next ones.
//!
//!     cargo run -p fireside --example train_step [-- STEPS]
//!     FIRESIDE_BACKEND=flex cargo run -p fireside --example train_step

use fireside::prelude::*;
use std::time::Instant;

fn main() {
    // The allocator policy of the kernel's cells, so that the figures are a notebook's.
    fireside::seam::runtime::keep_freed_memory();
    let steps: usize = std::env::args().nth(1).map_or(20, |s| s.parse().expect("STEPS is a number"));
    println!("{}", fireside::device::describe());
    fireside::device::seed(42);
    let mnist = fireside::datasets::Mnist::load().expect("the shipped MNIST subset loads");
    let (x, y) = (data::images(&mnist.train), data::labels(&mnist.train));
    let mut model = Sequential::new()
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
        .compile(Optimizer::adam(), Loss::SparseCategoricalCrossEntropy { from_logits: false }, &[]);
    let batch = Fit::epochs(1).batch_size(64).shuffle(false).quiet();

    let started = Instant::now();
    model.fit(x.clone(), y.clone(), batch.clone().steps_per_epoch(1)).unwrap();
    let first = started.elapsed();

    let started = Instant::now();
    let history = model.fit(x, y, batch.steps_per_epoch(steps)).unwrap();
    let per_step = started.elapsed() / steps as u32;
    let loss = history.loss()[0];
    assert!(loss.is_finite(), "the loss is a number");
    println!(
        "first step {:.0} ms, then {:.1} ms per step (mean of {steps}), loss {loss:.3}",
        first.as_secs_f64() * 1e3,
        per_step.as_secs_f64() * 1e3
    );
}
