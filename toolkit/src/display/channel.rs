//! How rich output reaches the notebook while a cell runs.
//!
//! In the fireside kernel, each event is one line on stdout: `MARKER`
//! followed by JSON. The kernel (`kernel/src/child_output.rs`) turns those
//! lines into `display_data`, `update_display_data` and `clear_output`
//! messages at once, in order with the cell's printed text; keep the two
//! files in step. Outside the kernel, events degrade to plain text.
//!
//! ```
//! // The only public part: whether the events reach a kernel.
//! let rich = fireside::display::in_kernel();
//! println!("{}", if rich { "rich output" } else { "plain text" });
//! ```

use serde_json::Value;
use std::io::Write;

pub(crate) const MARKER: &str = "\u{1e}fireside ";

/// Whether this process runs cells for the fireside kernel (it sets
/// `FIRESIDE_PRIVATE_DIR`); outside it, rich output prints as plain text.
///
/// ```
/// if !fireside::display::in_kernel() {
///     println!("not in a notebook: plots are printed as text");
/// }
/// ```
pub fn in_kernel() -> bool {
    std::env::var_os("FIRESIDE_PRIVATE_DIR").is_some()
}

/// Sends one event to the kernel. Returns false outside the kernel.
pub(crate) fn send(event: &Value) -> bool {
    if !in_kernel() {
        return false;
    }
    let line = format!("{MARKER}{event}\n");
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.flush();
    true
}
