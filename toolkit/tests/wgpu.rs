//! The GPU path (burn's wgpu backend) computes what the CPU path computes.
//! It exists only with the toolkit's `gpu` feature; `ci/test` builds that in
//! a build directory of its own and runs this on Mesa's software Vulkan
//! driver (lavapipe) where there is no GPU, so the wgpu code never rots. Set
//! FIRESIDE_SKIP_WGPU=1 to skip it on a machine with no Vulkan driver.

#![cfg(feature = "gpu")]

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
