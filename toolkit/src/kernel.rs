//! The toolkit's side of the fireside kernel: interrupts that keep every
//! variable, panics reported as errors, and warm-up at install time.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let mut step = 0u64;
//! // A loop that the notebook's Interrupt button stops cleanly:
//! while !fireside::interrupted() {
//!     step += 1;
//! }
//! ```

use crate::display::channel;
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

/// Connects the toolkit to the kernel; the kernel runs it when it starts.
/// Panics become cell errors with their message. Safe to call more than
/// once; outside the kernel it does nothing.
///
/// ```no_run
/// fireside::kernel::attach();   // what the kernel runs at start-up
/// ```
pub fn attach() {
    static ATTACHED: OnceLock<()> = OnceLock::new();
    ATTACHED.get_or_init(|| {
        if !channel::in_kernel() {
            return;
        }
        std::panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic with a non-text payload".to_owned());
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_default();
            channel::send(&fireside_seam::Event::Panic { message, location });
        }));
    });
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
