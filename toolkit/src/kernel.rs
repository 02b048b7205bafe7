//! The toolkit's side of the fireside kernel: interrupts that keep every
//! variable, and warm-up at install time. (What the kernel sets up in the
//! process that runs cells, such as the panic hook, is `fireside_seam::runtime`.)
//!
//! ```no_run
//! use fireside::prelude::*;
//! let mut step = 0u64;
//! // A loop that the notebook's Interrupt button stops cleanly:
//! while !fireside::interrupted() {
//!     step += 1;
//! }
//! ```

use std::path::PathBuf;
use std::sync::OnceLock;

/// The user interrupted the kernel while a loop was running: the error of
/// [`check_interrupt`]. Its message tells the student nothing was lost.
///
/// ```
/// use fireside::kernel::Interrupted;
/// assert!(Interrupted.to_string().starts_with("interrupted by the user"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by the user (the notebook's Interrupt button); every variable is kept")]
pub struct Interrupted;

fn interrupt_flag() -> Option<&'static PathBuf> {
    static FLAG: OnceLock<Option<PathBuf>> = OnceLock::new();
    FLAG.get_or_init(|| std::env::var_os(fireside_seam::env::INTERRUPT_FILE).map(PathBuf::from)).as_ref()
}

/// Whether the user has asked the running cell to stop. Cheap (one `stat`):
/// call it once per loop iteration or batch.
///
/// ```no_run
/// for epoch in 0..1000 {
///     if fireside::interrupted() { break; }
///     // ... one epoch of training ...
/// }
/// ```
pub fn interrupted() -> bool {
    interrupt_flag().is_some_and(|flag| flag.exists())
}

/// `Err(Interrupted)` once the user has asked the cell to stop, for use
/// with `?` in functions that loop.
///
/// ```no_run
/// fn train() -> Result<(), fireside::kernel::Interrupted> {
///     loop {
///         fireside::kernel::check_interrupt()?;
///     }
/// }
/// ```
pub fn check_interrupt() -> Result<(), Interrupted> {
    if interrupted() { Err(Interrupted) } else { Ok(()) }
}

/// Builds and runs a small model once, so that `fireside install` compiles
/// (and the GPU backend caches) what a notebook's first cells need.
/// Returns the rank of the output and the device description.
///
/// ```
/// let report = fireside::kernel::warm_up();
/// assert!(report.contains("backend:"));
/// ```
pub fn warm_up() -> String {
    let device = crate::device::device();
    let layer =
        crate::layers::Dense::new(4).activation(crate::activations::Activation::Relu).build(3, &device);
    let input = burn::tensor::Tensor::<2>::ones([2, 3], &device);
    let output = layer.forward(input);
    format!("{} on {}", output.dims().len(), crate::device::describe())
}
