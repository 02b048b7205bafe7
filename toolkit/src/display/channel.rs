//! How rich output reaches the notebook while a cell runs.
//!
//! In the fireside kernel, each event is one line on stdout
//! (`fireside_seam::Event`, which the kernel reads too). The kernel turns
//! those lines into `display_data`, `update_display_data` and
//! `clear_output` messages at once, in order with the cell's printed text.
//! Outside the kernel, events degrade to plain text.
//!
//! ```
//! // The only public part: whether the events reach a kernel.
//! let rich = fireside::display::in_kernel();
//! println!("{}", if rich { "rich output" } else { "plain text" });
//! ```

/// Whether this process runs cells for the fireside kernel; outside it,
/// rich output prints as plain text.
///
/// ```
/// if !fireside::display::in_kernel() {
///     println!("not in a notebook: plots are printed as text");
/// }
/// ```
pub use fireside_seam::runtime::in_kernel;

/// Sends one event to the kernel. Returns false outside the kernel.
pub(crate) use fireside_seam::runtime::send;
