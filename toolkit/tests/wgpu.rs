//! The GPU path (burn's wgpu backend) computes what the CPU path computes.
//! It exists only with the toolkit's `gpu` feature; `ci/test` builds that in
//! a build directory of its own and runs this on Mesa's software Vulkan
//! driver (lavapipe) where there is no GPU, so the wgpu code never rots. Set
//! FIRESIDE_SKIP_WGPU=1 to skip it on a machine with no Vulkan driver.

#![cfg(feature = "gpu")]

mod common;

use burn::tensor::{Device, DeviceKind, Tensor};
use fireside::prelude::Values;

#[test]
fn wgpu_and_flex_agree_on_a_small_network() {
    if std::env::var_os("FIRESIDE_SKIP_WGPU").is_some() {
        eprintln!("FIRESIDE_SKIP_WGPU is set: skipping the wgpu test");
        return;
    }
    let adapters = fireside::device::adapters();
    assert!(
        !adapters.is_empty(),
        "wgpu finds no adapter: install a Vulkan driver (apt-get install mesa-vulkan-drivers libvulkan1) or set FIRESIDE_SKIP_WGPU=1"
    );
    let wgpu = Device::wgpu(DeviceKind::DefaultDevice);
    let flex = Device::flex();
    let run = |device: &Device| {
        let x = Tensor::<2>::from_floats([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]], device);
        let w = Tensor::<2>::from_floats([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]], device);
        fireside::activations::softmax(fireside::activations::relu(x.matmul(w))).values()
    };
    let (on_gpu, on_cpu) = (run(&wgpu), run(&flex));
    assert!(on_gpu.iter().zip(&on_cpu).all(|(a, b)| (a - b).abs() < 1e-5), "{on_gpu:?} vs {on_cpu:?}");
}

/// Which device the toolkit chose by itself, against what the machine
/// should give: `FIRESIDE_EXPECT_BACKEND` (`wgpu` on a GPU, `flex` on
/// lavapipe) and `FIRESIDE_EXPECT_ADAPTER` (a part of the adapter's name,
/// such as `NVIDIA`). The GPU kit (`ci/gpu-kit`) runs it; skipped without
/// those variables, since the choice depends on the machine.
#[test]
fn the_device_chosen_is_the_one_this_machine_should_give() {
    let (Ok(backend), Ok(adapter)) =
        (std::env::var("FIRESIDE_EXPECT_BACKEND"), std::env::var("FIRESIDE_EXPECT_ADAPTER"))
    else {
        eprintln!("FIRESIDE_EXPECT_BACKEND and FIRESIDE_EXPECT_ADAPTER are not set: nothing to compare");
        return;
    };
    let info = fireside::device::info();
    println!("{info}");
    assert_eq!(info.backend.to_string(), backend, "{info}");
    let named = |a: &fireside::device::Adapter| a.name.to_lowercase().contains(&adapter.to_lowercase());
    assert!(info.adapters.iter().any(named), "no adapter named {adapter:?}: {info}");
    match &info.adapter {
        Some(chosen) => {
            assert!(named(chosen) && chosen.hardware, "{info}");
            assert!(info.reason.starts_with("a hardware GPU adapter is present"), "{info}");
        }
        None => assert!(info.reason.contains("software rasterizer"), "{info}"),
    }
}

/// Chapter 05's CNN on the shipped digits, through the same `fit`, on the
/// device the toolkit chooses (`FIRESIDE_BACKEND=wgpu` forces wgpu on
/// lavapipe): it must reach the chapter's accuracy. Five epochs take
/// minutes on lavapipe, so this runs only in the GPU kit (`--ignored`);
/// `FIRESIDE_CNN_EPOCHS` and `FIRESIDE_CNN_ACCURACY` change the bar there.
#[test]
#[ignore = "minutes on a software adapter: the GPU kit runs it"]
fn chapter_05_cnn_reaches_its_accuracy_through_fit() {
    use fireside::prelude::*;
    let setting =
        |name: &str, default: f64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (epochs, bar) =
        (setting("FIRESIDE_CNN_EPOCHS", 5.0) as usize, setting("FIRESIDE_CNN_ACCURACY", 0.97));
    println!("{}", fireside::device::info().headline());
    fireside::device::seed(42);
    let mnist = fireside::datasets::Mnist::load().expect("the shipped digits load");
    let mut model = common::seed_a_cnn().compile(
        Optimizer::adam(),
        Loss::SparseCategoricalCrossEntropy { from_logits: false },
        &[Metric::Accuracy],
    );
    let started = std::time::Instant::now();
    model
        .fit(data::images(&mnist.train), data::labels(&mnist.train), Fit::epochs(epochs).batch_size(32))
        .unwrap();
    let trained_in = started.elapsed().as_secs_f64();
    let result = model.evaluate(data::images(&mnist.test), data::labels(&mnist.test)).unwrap();
    println!("{epochs} epochs in {trained_in:.1} s; test: {result}");
    let accuracy = f64::from(result.accuracy.expect("accuracy was asked for"));
    assert!(accuracy >= bar, "test accuracy {accuracy:.4} is under {bar} after {epochs} epochs");
}
