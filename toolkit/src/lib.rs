//! # fireside
//!
//! The deep-learning toolkit of the fireside notebooks. It reads like Keras
//! for the book's examples and stays plain [burn] underneath, so a student
//! can step down to `#[derive(Module)]` and a hand-written loop in the same
//! notebook.
//!
//! In the fireside kernel, `use fireside::prelude::*;` is already done.
//!
//! ## Errors
//! One policy: **whatever a notebook's code or data can get wrong is a
//! `Result`**, with a typed error (`thiserror`) whose message names the
//! problem and the fix; `?` ends a cell with that message, and the kernel
//! keeps every variable. A layer that does not fit its input
//! ([`Sequential::add`](model::Sequential::add), [`LayerError`](layers::LayerError)),
//! examples or targets that do not fit the model (`fit`, `evaluate`,
//! `predict`, [`FitError`](training::FitError)), options out of range,
//! files, data sets and text to parse are all errors of this kind.
//!
//! A **panic means a bug** in the toolkit, with one deliberate exception:
//! the tensor level follows burn, whose operations panic on mismatched
//! shapes. A built layer's `forward`, a `Sequential`'s `forward` and
//! tensor functions such as `scaled_dot_product_attention` are that level,
//! where a student steps down to plain burn.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let device = device();
//! let layer = Dense::new(2).activation(Activation::Sigmoid).build(3, &device);
//! let y = layer.forward(Tensor::<2>::ones([1, 3], &device));
//! ```

pub use burn;
pub use fireside_datasets as datasets;
// rustc's diagnostics name the data sets' types `fireside::fireside_datasets::…`
// (the crate's own name, not the alias above), and the kernel writes a
// variable's type as rustc names it: this makes that path valid too.
#[doc(hidden)]
pub use fireside_datasets;
// The seam with the kernel, which the kernel's start-up cell reaches
// through the toolkit (`kernel/src/template.rs`, `PREPARE_CELLS`).
#[doc(hidden)]
pub use fireside_seam as seam;

pub mod activations;
pub mod augment;
pub mod callbacks;
pub mod data;
pub mod device;
pub mod display;
pub mod fused;
pub mod kernel;
pub mod layers;
pub mod losses;
pub mod metrics;
pub mod model;
pub mod models;
pub mod optimizers;
pub mod plot;
pub mod prelude;
pub mod tensor_view;
pub mod training;

pub use kernel::interrupted;

// The paths the notebooks and docs use, from before attention moved under
// `layers` and the chapters' models under `models`: kept so that no notebook
// has to change (`fireside::attention::heatmap`, `fireside::gan::Gan`, ...).
pub use layers::attention;
pub use models::{gan, mixture, tree};

/// Asks the notebook's user for a line of text (Jupyter's input box).
///
/// ```no_run
/// let name = fireside::input("Your name: ");
/// ```
pub fn input(prompt: &str) -> String {
    ask(prompt, "EVCXR_INPUT_REQUEST")
}

/// Like [`input`], with the typed text hidden (Python's `getpass.getpass`):
/// for tokens and passwords that should not stay visible in the notebook.
///
/// ```no_run
/// let token = fireside::password("API token: ");
/// ```
pub fn password(prompt: &str) -> String {
    ask(prompt, "EVCXR_INPUT_REQUEST_PASSWORD")
}

// evcxr's input protocol: a request line on stdout, the answer on stdin.
fn ask(prompt: &str, command: &str) -> String {
    use std::io::Write;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{command}:{prompt}");
        let _ = out.flush();
    }
    read_answer()
}

/// Reads the answer from file descriptor 0 directly: the evaluation loop
/// holds the lock of `std::io::stdin()` while a cell runs (it shares the
/// standard library with the cells), and one byte at a time, so that
/// nothing after the answer is consumed.
#[cfg(unix)]
fn read_answer() -> String {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    // SAFETY: fd 0 stays open; ManuallyDrop keeps this handle from closing it.
    let mut stdin = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(0) });
    let mut line = Vec::new();
    let mut byte = [0u8];
    while stdin.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).trim_end_matches('\r').to_owned()
}

#[cfg(not(unix))]
fn read_answer() -> String {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    line.trim_end_matches(['\n', '\r']).to_owned()
}
