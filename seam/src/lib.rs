//! The seam between the fireside kernel and its toolkit, stated once.
//!
//! A notebook's cells run in a process of their own (evcxr's runtime); the
//! toolkit, loaded there, talks to the kernel in two ways:
//! - **events on stdout**: one line each, [`MARKER`] then an [`Event`] as
//!   JSON. They reach the kernel in order with the cell's printed text, and
//!   it turns them into Jupyter messages at once (rich output while a cell
//!   runs, a panic as the cell's error);
//! - **the environment** the kernel gives that process ([`env`]);
//! - **the process's settings** ([`runtime`]): the panic hook that turns a
//!   panic into an event, and the allocator's policy. The kernel makes
//!   them, so that the toolkit itself changes no process-wide state.
//!
//! ```
//! use fireside_seam::Event;
//! let line = Event::ClearOutput { wait: true }.to_line();
//! let (at, event) = Event::find_in(line.trim_end()).unwrap();
//! assert_eq!((at, event.unwrap()), (0, Event::ClearOutput { wait: true }));
//! ```

pub mod runtime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Starts every line that carries an event rather than text. The record
/// separator keeps it from ever being the start of printed text by chance.
pub const MARKER: &str = "\u{1e}fireside ";

/// What the toolkit tells the kernel while a cell runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// New output below the cell (Jupyter's `display_data`); `data` maps
    /// MIME types to contents.
    Display {
        data: Map<String, Value>,
        #[serde(default)]
        metadata: Map<String, Value>,
        #[serde(default)]
        display_id: Option<String>,
    },
    /// Replaces an earlier output wherever it is shown (`update_display_data`).
    UpdateDisplay {
        data: Map<String, Value>,
        #[serde(default)]
        metadata: Map<String, Value>,
        display_id: String,
    },
    /// Clears the cell's output; with `wait`, once new output arrives.
    ClearOutput {
        #[serde(default)]
        wait: bool,
    },
    /// The cell panicked: its message and where.
    Panic { message: String, location: String },
}

impl Event {
    /// The event as its line on stdout, newline included.
    ///
    /// ```
    /// use fireside_seam::{Event, MARKER};
    /// let line = Event::Panic { message: "boom".into(), location: "src/lib.rs:1:1".into() }.to_line();
    /// assert!(line.starts_with(MARKER) && line.ends_with('\n'));
    /// ```
    pub fn to_line(&self) -> String {
        format!("{MARKER}{}\n", serde_json::to_string(self).expect("events serialize"))
    }

    /// Where an event starts in a line of the process's stdout, and the
    /// event; `None` for plain text. Text before the event is what the cell
    /// printed without a final newline (`print!`).
    ///
    /// ```
    /// use fireside_seam::Event;
    /// let line = format!("no newline{}", Event::ClearOutput { wait: false }.to_line());
    /// let (at, event) = Event::find_in(line.trim_end()).unwrap();
    /// assert_eq!((at, event.unwrap()), (10, Event::ClearOutput { wait: false }));
    /// assert!(Event::find_in("plain text").is_none());
    /// ```
    pub fn find_in(line: &str) -> Option<(usize, Result<Event, serde_json::Error>)> {
        let at = line.find(MARKER)?;
        Some((at, serde_json::from_str(&line[at + MARKER.len()..])))
    }
}

/// The environment variables the kernel sets for the process running the
/// cells, and the toolkit reads there.
pub mod env {
    /// The kernel's private directory; its presence means "in the kernel".
    pub const PRIVATE_DIR: &str = "FIRESIDE_PRIVATE_DIR";
    /// A file the kernel creates when the user interrupts the cell; the
    /// toolkit's loops look for it (`fireside::interrupted()`).
    pub const INTERRUPT_FILE: &str = "FIRESIDE_INTERRUPT_FILE";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_event_comes_back_from_its_line() {
        let data: Map<String, Value> = [("text/plain".to_owned(), json!("hello"))].into_iter().collect();
        let events = [
            Event::Display { data: data.clone(), metadata: Map::new(), display_id: Some("d1".into()) },
            Event::UpdateDisplay { data, metadata: Map::new(), display_id: "d1".into() },
            Event::ClearOutput { wait: true },
            Event::Panic { message: "boom: at step 3".into(), location: "src/lib.rs:2:5".into() },
        ];
        for event in events {
            let line = event.to_line();
            assert_eq!(line.matches('\n').count(), 1, "one line: {line}");
            let (at, read) = Event::find_in(line.trim_end()).unwrap();
            assert_eq!((at, read.unwrap()), (0, event));
        }
    }

    #[test]
    fn an_unreadable_event_is_an_error_not_text() {
        let (at, event) = Event::find_in(&format!("{MARKER}{{\"type\": \"unknown\"}}")).unwrap();
        assert_eq!(at, 0);
        assert!(event.is_err());
    }
}
