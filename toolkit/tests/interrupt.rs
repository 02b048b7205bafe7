//! An interrupt stops `fit` at the next batch and the model keeps its
//! weights (a test binary of its own: the flag's path is read once).

use fireside::prelude::*;

#[test]
fn fit_stops_at_the_flag_and_keeps_the_model() {
    let flag = std::env::temp_dir().join(format!("fireside-interrupt-{}", std::process::id()));
    // SAFETY: set before any other thread of this test binary reads it.
    unsafe { std::env::set_var("FIRESIDE_INTERRUPT_FILE", &flag) };
    std::fs::write(&flag, b"interrupt").unwrap();
    let device = device();
    let x = Tensor::<2>::random([64, 3], Distribution::Default, &device);
    let y = Tensor::<1, Int>::zeros([64], &device);
    let mut model = Sequential::new()
        .add(Dense::new(2).activation(Activation::Softmax).input_dim(3))
        .unwrap()
        .compile(Optimizer::adam(), Loss::SparseCategoricalCrossEntropy { from_logits: false }, &[]);
    let history = model.fit(x.clone(), y, Fit::epochs(100).quiet()).unwrap();
    assert!(history.interrupted);
    assert!(history.epochs.is_empty(), "stopped before the first batch");
    assert!(fireside::interrupted());
    assert_eq!(fireside::kernel::check_interrupt(), Err(fireside::kernel::Interrupted));
    std::fs::remove_file(&flag).unwrap();
    assert!(!fireside::interrupted());
    assert_eq!(model.predict(x).unwrap().dims(), [64, 2], "the model still works");
}
