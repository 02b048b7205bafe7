//! What the kernel sets up in the process that runs a notebook's cells
//! (evcxr's runtime). The toolkit changes no process-wide state: it writes
//! its events through [`send`], and the kernel makes the other settings.
//!
//! ```
//! // Outside the kernel, events are not sent (the toolkit prints text instead).
//! assert!(!fireside_seam::runtime::in_kernel());
//! assert!(!fireside_seam::runtime::send(&fireside_seam::Event::ClearOutput { wait: false }));
//! ```

use crate::{Event, env};
use std::io::Write;
use std::sync::Once;

/// Whether this process runs cells for the fireside kernel (it sets
/// [`env::PRIVATE_DIR`]).
pub fn in_kernel() -> bool {
    std::env::var_os(env::PRIVATE_DIR).is_some()
}

/// Writes one event for the kernel on stdout; false outside the kernel.
pub fn send(event: &Event) -> bool {
    if !in_kernel() {
        return false;
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(event.to_line().as_bytes());
    let _ = out.flush();
    true
}

/// Makes every panic of a cell an [`Event::Panic`], which the kernel shows
/// as the cell's error with its message. The kernel's start-up cell calls
/// it: cells link their own copy of the standard library, whose panic hook
/// only code in a cell can set. Once per process; nothing outside the kernel.
pub fn report_panics() {
    static ONCE: Once = Once::new();
    if !in_kernel() {
        return;
    }
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic with a non-text payload".to_owned());
            let location = info
                .location()
                .map(|at| format!("{}:{}:{}", at.file(), at.line(), at.column()))
                .unwrap_or_default();
            send(&Event::Panic { message, location });
        }));
    });
}

/// Tells glibc's allocator to keep freed memory for reuse instead of handing
/// it back to the kernel. A CPU training step frees and allocates the same
/// megabyte-sized buffers (activations, gradients, im2col patches) every
/// step; by default each one is a fresh `mmap` whose pages fault in again,
/// which cost a quarter of a step of the seed CNN on burn's flex backend
/// (70 → 53 ms, `ci/bench-train`). Memory stays at the step's peak, which
/// it reaches anyway. The kernel calls it in the process that runs cells; a
/// benchmark that compares against the notebook calls it too.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters.
    unsafe {
        // Allocations up to 32 MiB (glibc's maximum) come from the heap.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        // Never shrink the heap; grow it 256 MiB at a time.
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TOP_PAD, 256 << 20);
    }
}
