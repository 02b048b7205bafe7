//! Live output of a running cell: the evaluation process's stdout and
//! stderr lines become `stream` messages as they come, and the toolkit's
//! rich-output lines become `display_data`, `update_display_data` and
//! `clear_output`, in order, while the cell is still running.
//!
//! The toolkit writes one line per event: `MARKER` followed by JSON
//! (`toolkit/src/display/channel.rs` writes them; keep the two in step).

use crate::server::Outbox;
use crate::wire::Message;
use crossbeam_channel::{Receiver, Sender, select};
use evcxr::EvalContextOutputs;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Starts every line that carries an event rather than text.
pub const MARKER: &str = "\u{1e}fireside ";

/// Text is sent once this much has gathered, or after `QUIET` without output.
const BATCH_BYTES: usize = 16 * 1024;
const QUIET: Duration = Duration::from_millis(30);

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    Display {
        data: Map<String, Value>,
        #[serde(default)]
        metadata: Map<String, Value>,
        #[serde(default)]
        display_id: Option<String>,
    },
    UpdateDisplay {
        data: Map<String, Value>,
        #[serde(default)]
        metadata: Map<String, Value>,
        display_id: String,
    },
    ClearOutput {
        #[serde(default)]
        wait: bool,
    },
    Panic {
        message: String,
        location: String,
    },
    UserError,
}

#[derive(Debug, Clone)]
pub struct PanicReport {
    pub message: String,
    pub location: String,
}

/// What the toolkit reported about the cell besides its output.
#[derive(Debug, Clone, Default)]
pub struct CellEvents {
    pub panic: Option<PanicReport>,
    /// A `?` at the top level of the cell returned an error.
    pub user_error: bool,
    pub last_stderr: Option<String>,
}

#[derive(Default)]
struct CellState {
    parent: Option<Message>,
    events: CellEvents,
}

pub struct Forwarders {
    state: Arc<Mutex<CellState>>,
    flush_stdout: Sender<Sender<()>>,
    flush_stderr: Sender<Sender<()>>,
}

impl Forwarders {
    pub fn spawn(outputs: EvalContextOutputs, outbox: Outbox, events: CellEvents) -> Forwarders {
        let state = Arc::new(Mutex::new(CellState { parent: None, events }));
        let (flush_stdout, stdout_flushes) = crossbeam_channel::unbounded();
        let (flush_stderr, stderr_flushes) = crossbeam_channel::unbounded();
        let stdout =
            Stream { name: "stdout", outbox: outbox.clone(), state: state.clone(), pending: String::new() };
        let stderr = Stream { name: "stderr", outbox, state: state.clone(), pending: String::new() };
        std::thread::spawn(move || stdout.forward(outputs.stdout, stdout_flushes));
        std::thread::spawn(move || stderr.forward(outputs.stderr, stderr_flushes));
        Forwarders { state, flush_stdout, flush_stderr }
    }

    pub fn begin_cell(&self, parent: Message) {
        let mut state = self.state.lock().unwrap();
        state.parent = Some(parent);
        state.events = CellEvents::default();
    }

    /// Sends what is still buffered and returns what the cell reported.
    pub fn end_cell(&self) -> CellEvents {
        for flush in [&self.flush_stdout, &self.flush_stderr] {
            flush_stream(flush);
        }
        // A `?` error's text comes through stderr, another pipe than the
        // event that reports the error, and can be a moment behind it.
        let deadline = std::time::Instant::now() + ERROR_TEXT_WAIT;
        while std::time::Instant::now() < deadline && self.awaits_error_text() {
            std::thread::sleep(Duration::from_millis(10));
            flush_stream(&self.flush_stderr);
        }
        let mut state = self.state.lock().unwrap();
        state.parent = None;
        std::mem::take(&mut state.events)
    }
}

impl Forwarders {
    fn awaits_error_text(&self) -> bool {
        let state = self.state.lock().unwrap();
        state.events.user_error && state.events.last_stderr.is_none()
    }
}

/// How long the end of a cell waits for the text of a `?` error.
const ERROR_TEXT_WAIT: Duration = Duration::from_millis(500);

/// Has a stream forward everything it has received, and waits until it has.
fn flush_stream(flush: &Sender<Sender<()>>) {
    let (ack, done) = crossbeam_channel::bounded(1);
    if flush.send(ack).is_ok() {
        let _ = done.recv_timeout(Duration::from_secs(2));
    }
}

struct Stream {
    name: &'static str,
    outbox: Outbox,
    state: Arc<Mutex<CellState>>,
    pending: String,
}

impl Stream {
    fn forward(mut self, lines: Receiver<String>, flushes: Receiver<Sender<()>>) {
        loop {
            select! {
                recv(lines) -> line => match line {
                    Ok(line) => self.line(line),
                    Err(_) => break,
                },
                recv(flushes) -> ack => {
                    while let Ok(line) = lines.try_recv() {
                        self.line(line);
                    }
                    self.send_pending();
                    if let Ok(ack) = ack {
                        let _ = ack.send(());
                    }
                },
                default(QUIET) => self.send_pending(),
            }
        }
        self.send_pending();
    }

    fn line(&mut self, line: String) {
        if let Some(event) = line.strip_prefix(MARKER) {
            self.send_pending();
            match serde_json::from_str::<Event>(event) {
                Ok(event) => self.event(event),
                Err(error) => eprintln!("fireside: unreadable toolkit event ({error}): {event}"),
            }
            return;
        }
        if self.name == "stderr" && !line.trim().is_empty() {
            self.state.lock().unwrap().events.last_stderr = Some(line.clone());
        }
        self.pending.push_str(&line);
        self.pending.push('\n');
        if self.pending.len() >= BATCH_BYTES {
            self.send_pending();
        }
    }

    fn send_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.pending);
        match &self.state.lock().unwrap().parent {
            Some(parent) => self.outbox.publish(parent, "stream", json!({ "name": self.name, "text": text })),
            // Output between cells (a background thread, the preload) goes to the kernel's log.
            None => eprint!("{text}"),
        }
    }

    fn event(&mut self, event: Event) {
        let mut state = self.state.lock().unwrap();
        match event {
            Event::Panic { message, location } => {
                state.events.panic = Some(PanicReport { message, location })
            }
            Event::UserError => state.events.user_error = true,
            Event::Display { data, metadata, display_id } => {
                if let Some(parent) = &state.parent {
                    let transient = display_id.map(|id| json!({ "display_id": id })).unwrap_or(json!({}));
                    self.outbox.publish(
                        parent,
                        "display_data",
                        json!({
                            "data": data, "metadata": metadata, "transient": transient,
                        }),
                    );
                }
            }
            Event::UpdateDisplay { data, metadata, display_id } => {
                if let Some(parent) = &state.parent {
                    self.outbox.publish(
                        parent,
                        "update_display_data",
                        json!({
                            "data": data, "metadata": metadata, "transient": { "display_id": display_id },
                        }),
                    );
                }
            }
            Event::ClearOutput { wait } => {
                if let Some(parent) = &state.parent {
                    self.outbox.publish(parent, "clear_output", json!({ "wait": wait }));
                }
            }
        }
    }
}
