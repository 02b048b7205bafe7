//! Rich output from any cell: plots, images, HTML, Markdown and tensors,
//! shown as many times as you like while a cell runs, and updated in place.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let handle = display(&html("<b>step 1</b>"));
//! handle.update(&html("<b>step 2</b>"));   // replaces the output above
//! display(&markdown("**done**"));
//! ```
//!
//! A toolkit value that is the last expression of a cell renders the same
//! way (a table for a tensor, a summary for a model, a picture for a plot).

pub(crate) mod channel;
mod progress;
mod rich;

pub use channel::in_kernel;
pub(crate) use progress::escape;
pub use progress::{Progress, ProgressBar, progress};
pub use rich::{Html, Markdown, MimeBundle, Png, Rich, ShowDebug, ShowRich, Svg, html, markdown, png, svg};

use fireside_seam::Event;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_DISPLAY: AtomicU64 = AtomicU64::new(1);

/// An output shown by [`display`] that can be replaced in place (IPython's
/// `display(..., display_id=True)`).
///
/// ```no_run
/// use fireside::prelude::*;
/// let status: DisplayHandle = display(&markdown("loading…"));
/// status.update(&markdown("loaded"));
/// ```
#[derive(Debug, Clone)]
pub struct DisplayHandle {
    id: String,
}

impl DisplayHandle {
    /// The Jupyter `display_id` of this output.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let handle = display(&markdown("hello"));
    /// assert!(handle.id().starts_with("fireside-"));
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Replaces the output with `value`, wherever it is shown.
    ///
    /// ```no_run
    /// # use fireside::prelude::*;
    /// let status = display(&markdown("epoch 1"));
    /// status.update(&markdown("epoch 2"));
    /// ```
    pub fn update(&self, value: &(impl Rich + ?Sized)) {
        let bundle = value.to_mime();
        let event = Event::UpdateDisplay {
            data: bundle.to_json(),
            metadata: Default::default(),
            display_id: self.id.clone(),
        };
        if !channel::send(&event) {
            println!("{}", bundle.plain_text());
        }
    }
}

/// Shows `value` now, below the cell, and returns a handle to update it.
///
/// ```no_run
/// # use fireside::prelude::*;
/// display(&html("<i>hello</i>"));
/// ```
pub fn display(value: &(impl Rich + ?Sized)) -> DisplayHandle {
    let id = format!("fireside-{}-{}", std::process::id(), NEXT_DISPLAY.fetch_add(1, Ordering::Relaxed));
    let bundle = value.to_mime();
    let event =
        Event::Display { data: bundle.to_json(), metadata: Default::default(), display_id: Some(id.clone()) };
    if !channel::send(&event) {
        println!("{}", bundle.plain_text());
    }
    DisplayHandle { id }
}

/// Clears the cell's output; with `wait`, only once new output arrives
/// (no flicker in animations). IPython's `clear_output(wait=True)`.
///
/// ```no_run
/// use fireside::prelude::*;
/// for step in 0..3 {
///     clear_output(true);
///     display(&markdown(format!("step **{step}**")));
/// }
/// ```
pub fn clear_output(wait: bool) {
    channel::send(&Event::ClearOutput { wait });
}
