//! `FIRESIDE_BACKEND=ndarray` selects burn's older CPU backend, which
//! computes what flex computes. (One test in its own binary: the backend is
//! chosen once per process.)

use burn::tensor::{Device, Tensor};
use fireside::device::Backend;
use fireside::prelude::Values;

#[test]
fn fireside_backend_ndarray_is_honoured_and_agrees_with_flex() {
    // SAFETY: set before any thread of this test binary reads the environment.
    unsafe { std::env::set_var("FIRESIDE_BACKEND", "ndarray") };
    let info = fireside::device::info();
    assert_eq!(info.backend, Backend::NdArray);
    assert!(fireside::device::describe().starts_with("backend: ndarray (CPU"), "{info}");

    let run = |device: &Device| {
        let x = Tensor::<2>::from_floats([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]], device);
        let w = Tensor::<2>::from_floats([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]], device);
        fireside::activations::softmax(fireside::activations::relu(x.matmul(w))).values()
    };
    let (on_ndarray, on_flex) = (run(&fireside::device::device()), run(&Device::flex()));
    assert!(
        on_ndarray.iter().zip(&on_flex).all(|(a, b)| (a - b).abs() < 1e-6),
        "{on_ndarray:?} vs {on_flex:?}"
    );
}
