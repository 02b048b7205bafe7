//! # fireside
//!
//! The deep-learning toolkit of the fireside notebooks. It reads like Keras
//! for the book's examples and stays plain [burn] underneath, so a student
//! can step down to `#[derive(Module)]` and a hand-written loop in the same
//! notebook.
//!
//! In the fireside kernel, `use fireside::prelude::*;` is already done.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let device = device();
//! let layer = Dense::new(2).activation(Activation::Sigmoid).build(3, &device);
//! let y = layer.forward(Tensor::<2>::ones([1, 3], &device));
//! ```

pub use burn;
pub use fireside_datasets as datasets;

pub mod activations;
pub mod data;
pub mod device;
pub mod display;
pub mod kernel;
pub mod layers;
pub mod losses;
pub mod metrics;
pub mod model;
pub mod optimizers;
pub mod plot;
pub mod prelude;
pub mod tensor_view;
pub mod training;

pub use kernel::interrupted;

/// Asks the notebook's user for a line of text (Jupyter's input box).
///
/// ```no_run
/// let name = fireside::input("Your name: ");
/// ```
pub fn input(prompt: &str) -> String {
    ask(prompt, "EVCXR_INPUT_REQUEST")
}

/// Like [`input`], with the typed text hidden.
pub fn password(prompt: &str) -> String {
    ask(prompt, "EVCXR_INPUT_REQUEST_PASSWORD")
}

// evcxr's input protocol: a request line on stdout, the answer on stdin.
fn ask(prompt: &str, command: &str) -> String {
    use std::io::Write;
    // evcxr cuts the prompt at its first ':'; a look-alike keeps the rest.
    let prompt = prompt.replace(':', "\u{A789}");
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{command}:{prompt}");
        let _ = out.flush();
    }
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    line.trim_end_matches(['\n', '\r']).to_owned()
}
