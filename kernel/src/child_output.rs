//! Live output of a running cell: the evaluation process's stdout and
//! stderr lines become `stream` messages as they come, and the toolkit's
//! rich-output lines become `display_data`, `update_display_data` and
//! `clear_output`, in order, while the cell is still running.
//!
//! The toolkit writes one line per event (`fireside_seam::Event`).

use crate::server::Outbox;
use crate::wire::Message;
use crossbeam_channel::{Receiver, Sender, select};
use evcxr::EvalContextOutputs;
use fireside_seam::Event;
use jupyter_protocol::{ClearOutput, DisplayData, Media, Stdio, StreamContent, Transient, UpdateDisplayData};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Text is sent once this much has gathered, or after `QUIET` without output.
const BATCH_BYTES: usize = 16 * 1024;
const QUIET: Duration = Duration::from_millis(30);

#[derive(Debug, Clone)]
pub struct PanicReport {
    pub message: String,
    pub location: String,
}

/// What the toolkit reported about the cell besides its output.
#[derive(Debug, Clone, Default)]
pub struct CellEvents {
    pub panic: Option<PanicReport>,
    /// The cell's last non-empty lines on stderr (`STDERR_TAIL` of them):
    /// the last is a `?` error's text; a dying process says why in them,
    /// before its backtrace.
    pub stderr_tail: Vec<String>,
}

#[derive(Default)]
struct CellState {
    /// The running cell, or the last one: output that arrives between
    /// cells comes from a thread that a cell left running, and goes to that
    /// cell, as in ipykernel (upstream evcxr showed it in the next cell).
    /// `None` before the first cell (the toolkit's preload): to the log.
    parent: Option<Message>,
    /// Whether a cell runs now, rather than `parent` being the last one.
    running: bool,
    events: CellEvents,
    /// Text sent to the cell so far, and text dropped past `OUTPUT_LIMIT`.
    sent_bytes: usize,
    dropped_bytes: usize,
}

/// The most text one cell sends to the notebook. A notebook with more does
/// not open in a browser; a loop printing without bound would fill the
/// frontend's memory, and the file it is saved in.
const OUTPUT_LIMIT: usize = 8 * 1024 * 1024;

pub struct Forwarders {
    state: Arc<Mutex<CellState>>,
    outbox: Outbox,
    flush_stdout: Sender<Sender<()>>,
    flush_stderr: Sender<Sender<()>>,
}

impl Forwarders {
    pub fn spawn(outputs: EvalContextOutputs, outbox: Outbox, events: CellEvents) -> Forwarders {
        let state = Arc::new(Mutex::new(CellState { events, ..CellState::default() }));
        let (flush_stdout, stdout_flushes) = crossbeam_channel::unbounded();
        let (flush_stderr, stderr_flushes) = crossbeam_channel::unbounded();
        let stdout = Stream {
            name: Stdio::Stdout,
            outbox: outbox.clone(),
            state: state.clone(),
            pending: String::new(),
        };
        let stderr = Stream {
            name: Stdio::Stderr,
            outbox: outbox.clone(),
            state: state.clone(),
            pending: String::new(),
        };
        std::thread::spawn(move || stdout.forward(outputs.stdout, stdout_flushes));
        std::thread::spawn(move || stderr.forward(outputs.stderr, stderr_flushes));
        Forwarders { state, outbox, flush_stdout, flush_stderr }
    }

    pub fn begin_cell(&self, parent: Message) {
        let mut state = self.state.lock().unwrap();
        state.parent = Some(parent);
        state.running = true;
        state.events = CellEvents::default();
        state.sent_bytes = 0;
        state.dropped_bytes = 0;
    }

    /// Sends what is still buffered and returns what the cell reported.
    /// `user_error`: a `?` ended the cell, and its text is awaited.
    pub fn end_cell(&self, user_error: bool) -> CellEvents {
        for flush in [&self.flush_stdout, &self.flush_stderr] {
            flush_stream(flush);
        }
        // A `?` error's text comes through stderr, another pipe than the
        // event that reports the error, and can be a moment behind it.
        let deadline = std::time::Instant::now() + ERROR_TEXT_WAIT;
        while user_error && std::time::Instant::now() < deadline && self.awaits_error_text() {
            std::thread::sleep(Duration::from_millis(10));
            flush_stream(&self.flush_stderr);
        }
        let mut state = self.state.lock().unwrap();
        if let (Some(parent), dropped @ 1..) = (&state.parent, state.dropped_bytes) {
            let text = format!(
                "\nfireside: this cell printed {} MB more than the {} MB shown, which were left out; \
                 write large output to a file instead\n",
                dropped.div_ceil(1_000_000),
                OUTPUT_LIMIT / (1024 * 1024)
            );
            self.outbox.publish(parent, StreamContent::stderr(&text));
        }
        state.running = false;
        std::mem::take(&mut state.events)
    }
}

impl Forwarders {
    fn awaits_error_text(&self) -> bool {
        let state = self.state.lock().unwrap();
        state.events.stderr_tail.is_empty()
    }
}

/// How long the end of a cell waits for a stream to forward what it has
/// received. Forwarding is local and fast, so this is only a guard against
/// a stuck thread: with a shorter wait (it was 2 s), the end of a large
/// output went to the kernel's log instead of the cell.
const FLUSH_WAIT: Duration = Duration::from_secs(30);

/// How many of a cell's last stderr lines are kept (`CellEvents::stderr_tail`).
const STDERR_TAIL: usize = 40;

/// How long the end of a cell waits for the text of a `?` error.
const ERROR_TEXT_WAIT: Duration = Duration::from_millis(500);

/// Has a stream forward everything it has received, and waits until it has.
fn flush_stream(flush: &Sender<Sender<()>>) {
    let (ack, done) = crossbeam_channel::bounded(1);
    if flush.send(ack).is_ok() {
        let _ = done.recv_timeout(FLUSH_WAIT);
    }
}

struct Stream {
    name: Stdio,
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
        // Text that a cell printed without a newline (`print!`) precedes
        // the event on the same line.
        if let Some((at, event)) = Event::find_in(&line) {
            if at > 0 {
                self.line(line[..at].to_owned());
            }
            self.send_pending();
            match event {
                Ok(event) => self.event(event),
                Err(error) => eprintln!("fireside: unreadable toolkit event ({error}): {}", &line[at..]),
            }
            return;
        }
        if matches!(self.name, Stdio::Stderr) && !line.trim().is_empty() {
            let mut state = self.state.lock().unwrap();
            let tail = &mut state.events.stderr_tail;
            if tail.len() == STDERR_TAIL {
                tail.remove(0);
            }
            tail.push(line.clone());
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
        let mut state = self.state.lock().unwrap();
        if state.parent.is_some() && state.sent_bytes + text.len() > OUTPUT_LIMIT {
            state.dropped_bytes += text.len();
            return;
        }
        state.sent_bytes += text.len();
        match &state.parent {
            Some(parent) => self.outbox.publish(parent, StreamContent { name: self.name.clone(), text }),
            None => eprint!("{text}"),
        }
    }

    fn event(&mut self, event: Event) {
        let mut state = self.state.lock().unwrap();
        match event {
            Event::Panic { message, location } if state.running => {
                state.events.panic = Some(PanicReport { message, location })
            }
            // A thread that a cell left running panicked between cells: its
            // message goes to that cell, as its output does.
            Event::Panic { message, location } => {
                let text = format!("a background thread panicked at {location}:\n{message}\n");
                match &state.parent {
                    Some(parent) => self.outbox.publish(parent, StreamContent::stderr(&text)),
                    None => eprint!("fireside: {text}"),
                }
            }
            Event::Display { data, metadata, display_id } => {
                if let Some(parent) = &state.parent {
                    let transient = Some(Transient { display_id });
                    let display = DisplayData { data: Media::default(), metadata, transient };
                    self.outbox.publish_with_data(parent, display, data);
                }
            }
            Event::UpdateDisplay { data, metadata, display_id } => {
                if let Some(parent) = &state.parent {
                    let transient = Transient { display_id: Some(display_id) };
                    let update = UpdateDisplayData { data: Media::default(), metadata, transient };
                    self.outbox.publish_with_data(parent, update, data);
                }
            }
            Event::ClearOutput { wait } => {
                // What is cleared no longer counts toward the bound.
                state.sent_bytes = 0;
                if let Some(parent) = &state.parent {
                    self.outbox.publish(parent, ClearOutput { wait });
                }
            }
        }
    }
}
