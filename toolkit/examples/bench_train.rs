//! The fireside half of `ci/bench-train`: trains one benchmark model on
//! the backend fireside chooses (or `FIRESIDE_BACKEND`) and prints one JSON
//! line of figures. `ci/bench-train` runs the same models in Keras 3 + JAX
//! and prints both side by side; each model runs in its own process so that
//! its peak memory is its own.
//!
//!     cargo run --release -p fireside --example bench_train -- MODEL [STEPS] [BATCH]
//!
//! MODEL is one of `cnn` (seed A's MNIST CNN), `mlp` (784-128-10), `cifar`
//! (seed A's CIFAR-10 CNN with dropout) or `lstm` (Embedding(10000, 64) +
//! LSTM(64) on sequences of 100 words). Every step is
//! [`Model::train_on_batch`], which reads the loss back, so the time of a
//! step includes all of its work, also on a GPU.

use fireside::prelude::*;
use std::time::Instant;

/// Distinct batches the steps cycle through, the same number as on the Keras side.
const POOL: usize = 4;

fn main() {
    // The allocator policy of the kernel's cells, so that the figures are a notebook's.
    fireside::seam::runtime::keep_freed_memory();
    let mut args = std::env::args().skip(1);
    let name = args.next().expect("usage: bench_train cnn|mlp|cifar|lstm [STEPS] [BATCH]");
    let steps: usize = args.next().map_or(30, |s| s.parse().expect("STEPS is a number"));
    let batch: usize = args.next().map_or(64, |s| s.parse().expect("BATCH is a number"));
    eprintln!("{}", fireside::device::describe());
    let device = device();
    fireside::device::seed(42);
    let started = Instant::now();
    let (mut model, inputs, targets) = build(&name, batch, &device);
    let build_ms = started.elapsed().as_secs_f64() * 1e3;

    let started = Instant::now();
    let first = model.train_on_batch(inputs[0].clone(), targets[0].clone()).unwrap();
    let first_ms = started.elapsed().as_secs_f64() * 1e3;
    assert!(first.loss.is_finite(), "the first loss is a number");

    let mut times = Vec::with_capacity(steps);
    let mut loss = first.loss;
    for step in 0..steps {
        let i = (step + 1) % POOL;
        let started = Instant::now();
        loss = model.train_on_batch(inputs[i].clone(), targets[i].clone()).unwrap().loss;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    assert!(loss.is_finite(), "the last loss is a number");
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let info = fireside::device::info();
    let device_name = info.adapter.as_ref().map_or("CPU".to_owned(), |a| a.name.clone());
    println!(
        "{{\"model\": \"{name}\", \"backend\": \"{}\", \"device\": \"{device_name}\", \"batch\": {batch}, \
         \"steps\": {steps}, \"build_ms\": {build_ms:.1}, \"first_step_ms\": {first_ms:.1}, \
         \"median_step_ms\": {median:.2}, \"samples_per_s\": {:.0}, \"peak_rss_mb\": {:.0}, \"loss\": {loss:.4}}}",
        info.backend,
        batch as f64 / median * 1e3,
        peak_rss_mb(),
    );
}

/// The model and `POOL` batches of random inputs and targets of its shape.
fn build(name: &str, batch: usize, device: &Device) -> (Model, Vec<Batch>, Vec<Targets>) {
    let classes = |device: &Device| -> Targets {
        Tensor::<1, Int>::random([batch], Distribution::Uniform(0.0, 10.0), device).into()
    };
    let sparse = Loss::SparseCategoricalCrossEntropy { from_logits: false };
    match name {
        "cnn" => {
            let model = seed_cnn([1, 28, 28], false).compile(Optimizer::adam(), sparse, &[Metric::Accuracy]);
            let x = (0..POOL).map(|_| images([batch, 1, 28, 28], device)).collect();
            (model, x, (0..POOL).map(|_| classes(device)).collect())
        }
        "mlp" => {
            let model = Sequential::with_input([784])
                .add(Dense::new(128).activation(Activation::Relu))
                .unwrap()
                .add(Dense::new(10).activation(Activation::Softmax))
                .unwrap()
                .compile(Optimizer::adam(), sparse, &[Metric::Accuracy]);
            let x = (0..POOL)
                .map(|_| Tensor::<2>::random([batch, 784], Distribution::Uniform(0.0, 1.0), device).into())
                .collect();
            (model, x, (0..POOL).map(|_| classes(device)).collect())
        }
        "cifar" => {
            let model = seed_cnn([3, 32, 32], true).compile(Optimizer::adam(), sparse, &[Metric::Accuracy]);
            let x = (0..POOL).map(|_| images([batch, 3, 32, 32], device)).collect();
            (model, x, (0..POOL).map(|_| classes(device)).collect())
        }
        "lstm" => {
            let model = Sequential::new()
                .add(Embedding::new(10_000, 64).input_length(100))
                .unwrap()
                .add(Lstm::new(64))
                .unwrap()
                .add(Dense::new(1).activation(Activation::Sigmoid))
                .unwrap()
                .compile(
                    Optimizer::adam(),
                    Loss::BinaryCrossEntropy { from_logits: false },
                    &[Metric::Accuracy],
                );
            let x = (0..POOL)
                .map(|_| {
                    Tensor::<2, Int>::random([batch, 100], Distribution::Uniform(1.0, 10_000.0), device)
                        .into()
                })
                .collect();
            let y = (0..POOL)
                .map(|_| {
                    let labels =
                        Tensor::<2, Int>::random([batch, 1], Distribution::Uniform(0.0, 2.0), device);
                    Targets::from(labels.float())
                })
                .collect();
            (model, x, y)
        }
        other => panic!("no benchmark model {other:?}: use cnn, mlp, cifar or lstm"),
    }
}

/// Seed A's CNN; the CIFAR version adds Dropout(0.5) before the last layer.
fn seed_cnn(input: [usize; 3], dropout: bool) -> Sequential {
    let mut network = Sequential::new()
        .add(Conv2d::new(32, 3).activation(Activation::Relu).input_shape(input))
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
        .unwrap();
    if dropout {
        network = network.add(Dropout::new(0.5)).unwrap();
    }
    network.add(Dense::new(10).activation(Activation::Softmax)).unwrap()
}

fn images(shape: [usize; 4], device: &Device) -> Batch {
    Tensor::<4>::random(shape, Distribution::Uniform(0.0, 1.0), device).into()
}

/// The process's peak resident memory (VmHWM), in MiB; 0 where /proc is missing.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
