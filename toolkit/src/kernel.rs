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
use serde_json::json;
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
    FLAG.get_or_init(|| std::env::var_os("FIRESIDE_INTERRUPT_FILE").map(PathBuf::from)).as_ref()
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
/// Panics become cell errors with their message, and a `?` that ends a
/// cell is reported as an error. Safe to call more than once; outside the
/// kernel it does nothing.
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
            channel::send(&json!({ "type": "panic", "message": message, "location": location }));
        }));
        watch_for_question_mark_errors();
    });
}

/// evcxr reports a `?` that returned an error from a cell with a line of
/// its own on stdout, which the kernel never sees. This relays stdout
/// through a pipe and adds a toolkit event in front of that line.
fn watch_for_question_mark_errors() {
    const EVCXR_USER_ERROR: &[u8] = b"EVCXR_ERROR_OCCURRED";
    // SAFETY: plain POSIX calls on file descriptors this function owns.
    unsafe {
        let mut fds = [0; 2];
        if libc::pipe(fds.as_mut_ptr()) != 0 {
            return;
        }
        let original = libc::dup(1);
        if original < 0 || libc::dup2(fds[1], 1) < 0 {
            return;
        }
        libc::close(fds[1]);
        let read_end = fds[0];
        std::thread::Builder::new()
            .name("fireside-stdout".to_owned())
            .spawn(move || {
                use std::io::{BufRead, BufReader, Write};
                use std::os::fd::FromRawFd;
                let reader = BufReader::new(std::fs::File::from_raw_fd(read_end));
                let mut out = std::fs::File::from_raw_fd(original);
                for line in reader.split(b'\n').map_while(Result::ok) {
                    let mut chunk = Vec::with_capacity(line.len() + 64);
                    if line == EVCXR_USER_ERROR {
                        chunk.extend_from_slice(
                            format!("{}{}\n", channel::MARKER, json!({ "type": "user_error" })).as_bytes(),
                        );
                    }
                    chunk.extend_from_slice(&line);
                    chunk.push(b'\n');
                    if out.write_all(&chunk).is_err() {
                        break;
                    }
                }
            })
            .ok();
    }
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
