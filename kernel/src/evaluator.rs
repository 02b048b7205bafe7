//! The evaluator thread: owns evcxr's `CommandContext`, loads the toolkit in
//! the background when the kernel starts, and runs cells one at a time.

use crate::child_output::{CellEvents, Forwarders};
use crate::compile_errors;
use crate::history::History;
use crate::interrupt::{CellInterrupt, GRACE, Interrupter};
use crate::quick_complete::{ANALYSIS_WAIT, INSPECTION_WAIT, QuickNames};
use crate::server::Outbox;
use crate::template::{PrivateDir, stale_template, use_the_template_as_built};
use crate::wire::Message;
use crossbeam_channel::{Receiver, Sender};
use evcxr::{CommandContext, EvalCallbacks, EvalOutputs};
use jupyter_protocol::{
    CompleteReply, CompleteRequest, ErrorOutput, ExecuteInput, ExecuteReply, ExecuteRequest, ExecuteResult,
    ExecutionCount, ExecutionState, InputReply, InputRequest, InspectReply, InspectRequest, Media, MediaType,
    ReplyError, ReplyStatus, StreamContent, Transient,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub enum Request {
    Execute(Message),
    /// An execute request whose content could not be read, and why.
    Malformed(Message, String),
    Complete(Message),
    Inspect(Message),
}

// A request is large (its typed headers) and `Stop` small; every message is
// a request but one, so boxing would only add an allocation to each.
#[allow(clippy::large_enum_variant)]
enum Control {
    Request(Request),
    /// Stop, and say so on the channel once the process and files are gone.
    Stop(Sender<()>),
}

pub struct EvaluatorHandle {
    queue: Sender<Control>,
}

impl EvaluatorHandle {
    pub fn send(&self, request: Request) {
        let _ = self.queue.send(Control::Request(request));
    }

    /// Ends the evaluation process and removes the kernel's private build
    /// directory; returns once that is done.
    pub fn stop(&self) {
        let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
        if self.queue.send(Control::Stop(done_tx)).is_ok() {
            let _ = done_rx.recv_timeout(Duration::from_secs(10));
        }
    }
}

pub struct Setup {
    pub outbox: Outbox,
    pub history: Arc<History>,
    pub interrupter: Arc<Interrupter>,
    pub input_replies: Receiver<Message>,
    pub data_dir: PathBuf,
}

pub fn spawn(setup: Setup) -> EvaluatorHandle {
    let (queue, requests) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("evaluator".to_owned())
        .spawn(move || Evaluator::start(setup, requests).run())
        .expect("the evaluator thread starts");
    EvaluatorHandle { queue }
}

/// A cell's result, as the frontend will show it.
enum Outcome {
    Ok(EvalOutputs),
    Error(ErrorOutput),
}

impl Outcome {
    fn error(ename: &str, evalue: impl Into<String>, traceback: Vec<String>) -> Self {
        Outcome::Error(ErrorOutput { ename: ename.to_owned(), evalue: evalue.into(), traceback })
    }
}

struct Evaluator {
    context: Result<CommandContext, String>,
    forwarders: Option<Forwarders>,
    private_dir: Option<PrivateDir>,
    setup: Setup,
    requests: Receiver<Control>,
    /// A shutdown that arrived behind cells aborted after an error.
    stop_later: Option<Sender<()>>,
    execution_count: usize,
    /// Said on the first cell's output (the toolkit was compiled at start).
    startup_notice: Option<String>,
    /// Completions while rust-analyzer is not ready.
    quick_names: Option<QuickNames>,
}

impl Evaluator {
    fn start(setup: Setup, requests: Receiver<Control>) -> Evaluator {
        let mut evaluator = Evaluator {
            context: Err("the kernel is starting".to_owned()),
            forwarders: None,
            private_dir: None,
            setup,
            requests,
            stop_later: None,
            execution_count: 0,
            startup_notice: None,
            quick_names: None,
        };
        evaluator.context = evaluator.load_toolkit();
        evaluator.warm_up_analysis();
        evaluator
    }

    /// rust-analyzer (inside evcxr) needs tens of seconds to load the
    /// toolkit's dependencies and infer a first type against them. Cells
    /// do not wait for it: they store new variables with the types rustc
    /// infers, and only completions, inspection and a later cell that uses
    /// such a variable ask it for a type. This starts that work on evcxr's
    /// analysis thread at once, so those answers are quick when first needed.
    fn warm_up_analysis(&mut self) {
        if let Ok(context) = &self.context {
            context.warm_up_analysis();
        }
    }

    /// Copies the prebuilt cell template and preloads the toolkit, so that
    /// the first cell runs at once. Errors are kept and shown to the user
    /// on every execute, with what to do about them.
    fn load_toolkit(&mut self) -> Result<CommandContext, String> {
        let started = std::time::Instant::now();
        let mut private_dir = PrivateDir::from_env().map_err(|error| error.to_string())?;
        private_dir
            .create(&self.setup.data_dir)
            .map_err(|error| format!("{error}\nRun `fireside install` again to rebuild the template."))?;
        eprintln!("fireside: private build directory ready in {:.2} s", started.elapsed().as_secs_f64());
        self.setup.interrupter.set_flag_file(private_dir.interrupt_flag());
        let preload = private_dir.preload_code().map_err(|error| error.to_string())?;
        self.quick_names = private_dir.toolkit_dir().ok().map(|dir| QuickNames::from_toolkit(&dir));
        self.private_dir = Some(private_dir);

        let (mut context, outputs) =
            CommandContext::new().map_err(|error| format!("evcxr could not start: {error}"))?;
        eprintln!("fireside: evcxr started at {:.2} s", started.elapsed().as_secs_f64());
        use_the_template_as_built(&mut context, &self.setup.data_dir);
        let events = CellEvents::default();
        self.forwarders = Some(Forwarders::spawn(outputs, self.setup.outbox.clone(), events));
        match context.execute(&preload) {
            Ok(_) => {}
            Err(evcxr::Error::DependencyRebuild { crate_name }) => return Err(stale_template(&crate_name)),
            Err(error) => return Err(format!("loading the fireside toolkit failed: {error}")),
        }
        crate::template::remove_stale_kernel_dirs_later(&self.setup.data_dir);
        let compiled = context.take_compiled_dependencies();
        if !compiled.is_empty() {
            self.startup_notice = Some(format!(
                "Note: the toolkit's source changed since `fireside install`, so this kernel compiled it \
                 ({}) in {:.0} s before its first cell. Run `fireside install` (in a fireside checkout: \
                 `bash ci/setup --no-run`) so that new kernels start at once.\n",
                compiled.join(", "),
                started.elapsed().as_secs_f64()
            ));
        }
        self.setup.interrupter.set_child(context.process_handle());
        eprintln!("fireside: toolkit loaded at {:.2} s", started.elapsed().as_secs_f64());
        Ok(context)
    }

    fn run(mut self) {
        let done = loop {
            if let Some(stop) = self.stop_later.take() {
                break Some(stop);
            }
            let Ok(control) = self.requests.recv() else { break None };
            match control {
                Control::Request(Request::Execute(message)) => self.execute(message),
                Control::Request(Request::Malformed(message, reason)) => self.reject(message, reason),
                Control::Request(Request::Complete(message)) => self.complete(message),
                Control::Request(Request::Inspect(message)) => self.inspect(message),
                Control::Stop(reply) => break Some(reply),
            }
        };
        // Dropping the context ends the evaluation process; the private
        // directory removes itself when dropped.
        drop(self.context);
        drop(self.private_dir);
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    fn execute(&mut self, message: Message) {
        let outbox = self.setup.outbox.clone();
        outbox.status(&message, ExecutionState::Busy);
        if self.setup.interrupter.is_stopping() {
            // Queued before a shutdown (Run All): not run, as after an error.
            outbox.reply(&message, self.aborted_reply());
            outbox.status(&message, ExecutionState::Idle);
            return;
        }
        let request: ExecuteRequest = match message.content_as() {
            Ok(request) => request,
            Err(error) => return self.reject(message, format!("malformed execute_request: {error}")),
        };
        let store_history = request.store_history && !request.silent;
        if store_history {
            self.execution_count += 1;
        }
        let count = ExecutionCount::new(self.execution_count);
        if !request.silent {
            outbox.publish(&message, ExecuteInput { code: request.code.clone(), execution_count: count });
        }

        let outcome = self.run_cell(&message, &request);

        let mut reply = ExecuteReply {
            status: ReplyStatus::Ok,
            execution_count: count,
            user_expressions: Some(HashMap::new()),
            ..ExecuteReply::default()
        };
        match &outcome {
            Outcome::Ok(outputs) => {
                if let Some(timing) = timing_text(outputs)
                    && !request.silent
                {
                    outbox.publish(&message, StreamContent::stderr(&timing));
                }
                let bundle = display_bundle(outputs);
                if !bundle.is_empty() && !request.silent {
                    // An empty transient is sent as `{}`, not `null`.
                    let result = ExecuteResult {
                        transient: Some(Transient::default()),
                        ..ExecuteResult::new(count, Media::default())
                    };
                    outbox.publish_with_data(&message, result, bundle);
                }
            }
            Outcome::Error(error) => {
                if !request.silent {
                    outbox.publish(&message, error.clone());
                }
                reply.status = ReplyStatus::Error;
                reply.error = Some(Box::new(ReplyError {
                    ename: error.ename.clone(),
                    evalue: error.evalue.clone(),
                    traceback: error.traceback.clone(),
                }));
            }
        }
        if store_history {
            self.setup.history.record(count.value(), &request.code);
        }
        // The cells to abort are those queued while this one ran, so take
        // them before the reply goes out: a cell the frontend sends after
        // it has seen the error must run.
        let queued = if matches!(outcome, Outcome::Error(_)) && request.stop_on_error {
            self.take_queued()
        } else {
            Vec::new()
        };
        outbox.reply(&message, reply);
        outbox.status(&message, ExecutionState::Idle);
        self.abort_executions(queued);
    }

    /// Answers an execute request whose content could not be read.
    fn reject(&mut self, message: Message, reason: String) {
        let outbox = &self.setup.outbox;
        outbox.status(&message, ExecutionState::Busy);
        let reply = ExecuteReply {
            status: ReplyStatus::Error,
            execution_count: ExecutionCount::new(self.execution_count),
            error: Some(Box::new(ReplyError {
                ename: "BadRequest".to_owned(),
                evalue: reason,
                traceback: Vec::new(),
            })),
            user_expressions: Some(HashMap::new()),
            ..ExecuteReply::default()
        };
        outbox.reply(&message, reply);
        outbox.status(&message, ExecutionState::Idle);
    }

    fn aborted_reply(&self) -> ExecuteReply {
        ExecuteReply {
            status: ReplyStatus::Aborted,
            execution_count: ExecutionCount::new(self.execution_count),
            user_expressions: Some(HashMap::new()),
            ..ExecuteReply::default()
        }
    }

    /// Everything waiting in the queue now, in order.
    fn take_queued(&mut self) -> Vec<Control> {
        std::iter::from_fn(|| self.requests.try_recv().ok()).collect()
    }

    /// Like ipykernel: after an error, cells already queued (Run All) are
    /// answered `aborted` instead of running on a broken state. Other
    /// requests among them are answered as usual, in order.
    fn abort_executions(&mut self, queued: Vec<Control>) {
        for control in queued {
            match control {
                Control::Request(Request::Execute(queued)) => {
                    let outbox = &self.setup.outbox;
                    outbox.status(&queued, ExecutionState::Busy);
                    outbox.reply(&queued, self.aborted_reply());
                    outbox.status(&queued, ExecutionState::Idle);
                }
                Control::Request(Request::Malformed(message, reason)) => self.reject(message, reason),
                Control::Request(Request::Complete(message)) => self.complete(message),
                Control::Request(Request::Inspect(message)) => self.inspect(message),
                // A shutdown queued behind the cells: put it back for the loop.
                Control::Stop(done) => self.stop_later = Some(done),
            }
        }
    }

    fn run_cell(&mut self, message: &Message, request: &ExecuteRequest) -> Outcome {
        let context = match &mut self.context {
            Ok(context) => context,
            Err(reason) => {
                return Outcome::error(
                    "KernelNotReady",
                    reason.lines().next().unwrap_or_default(),
                    reason.lines().map(str::to_owned).collect(),
                );
            }
        };
        if let Some(notice) = self.startup_notice.take() {
            self.setup.outbox.publish(message, StreamContent::stderr(&notice));
        }
        let forwarders = self.forwarders.as_ref().expect("forwarders start with the context");
        let variables_before: Vec<String> =
            context.variables_and_types().map(|(name, _)| name.to_owned()).collect();
        forwarders.begin_cell(message.clone());
        self.setup.interrupter.begin_cell();

        let outbox = self.setup.outbox.clone();
        let replies = self.setup.input_replies.clone();
        let interrupter = self.setup.interrupter.clone();
        let allow_stdin = request.allow_stdin;
        let parent = message.clone();
        // evcxr asks for a line of input through this callback (its request
        // type is not exported, so the closure is written where it is used).
        let result = context.execute_with_callbacks(
            &request.code,
            &mut EvalCallbacks {
                input_reader: &move |input| {
                    if !allow_stdin {
                        eprintln!("fireside: this frontend does not accept input; returning an empty line");
                        return String::new();
                    }
                    outbox.ask(&parent, InputRequest { prompt: input.prompt, password: input.is_password });
                    // Wait for the answer, unless the user interrupts instead.
                    loop {
                        match replies.recv_timeout(Duration::from_millis(100)) {
                            Ok(reply) => {
                                return reply
                                    .content_as::<InputReply>()
                                    .map(|reply| reply.value)
                                    .unwrap_or_default();
                            }
                            Err(crossbeam_channel::RecvTimeoutError::Timeout)
                                if !interrupter.is_requested() => {}
                            Err(_) => return String::new(),
                        }
                    }
                },
            },
        );

        let events = forwarders.end_cell(result.as_ref().is_ok_and(|outputs| outputs.user_error));
        let interrupt = self.setup.interrupter.end_cell();
        let outcome = match result {
            Ok(outputs) => {
                if let Some(panic) = events.panic {
                    // A location in the generated cell crate means nothing to the reader.
                    let mut traceback = if panic.location.contains("src/lib.rs") {
                        vec!["the cell panicked:".to_owned(), panic.message.clone()]
                    } else {
                        vec![format!("panicked at {}:", panic.location), panic.message.clone()]
                    };
                    traceback.push("The variables defined before this cell are kept.".to_owned());
                    Outcome::error("panic", panic.message, traceback)
                } else if interrupt.requested {
                    Outcome::error(
                        "KeyboardInterrupt",
                        "interrupted; the cell stopped at a check of fireside::interrupted(), and every variable is kept",
                        vec!["KeyboardInterrupt: the cell was interrupted and stopped cleanly; every variable is kept.".to_owned()],
                    )
                } else if outputs.user_error {
                    let evalue = events
                        .stderr_tail
                        .last()
                        .cloned()
                        .unwrap_or_else(|| "a `?` returned an error".to_owned());
                    Outcome::error("Error", evalue.clone(), vec![
                        format!("Error: {evalue}"),
                        "A `?` in this cell returned early with this error; variables defined before the cell are kept.".to_owned(),
                    ])
                } else {
                    Outcome::Ok(outputs)
                }
            }
            Err(error) => {
                self.describe_failure(error, &request.code, interrupt, &variables_before, &events.stderr_tail)
            }
        };
        if let Ok(context) = &self.context {
            self.setup.interrupter.set_child(context.process_handle());
        }
        outcome
    }

    fn describe_failure(
        &mut self,
        error: evcxr::Error,
        code: &str,
        interrupt: CellInterrupt,
        variables_before: &[String],
        stderr_tail: &[String],
    ) -> Outcome {
        if interrupt.requested && !matches!(error, evcxr::Error::SubprocessTerminated(_)) {
            // The interrupt stopped the cell's build (evcxr::cancel_build).
            return Outcome::error(
                "KeyboardInterrupt",
                "interrupted while the cell was compiling: it did not run, and every variable is kept",
                vec![
                    "KeyboardInterrupt: the cell was interrupted while it compiled.".to_owned(),
                    "It did not run; every variable is kept.".to_owned(),
                ],
            );
        }
        match error {
            evcxr::Error::CompilationErrors(errors) => {
                let traceback = compile_errors::render(&errors, code);
                let evalue = errors.first().map(|e| e.message()).unwrap_or_default();
                Outcome::error("CompileError", evalue, traceback)
            }
            evcxr::Error::SubprocessTerminated(reason) => {
                // evcxr has started a fresh process: load the toolkit's hooks into it.
                self.reattach_toolkit();
                let lost = if variables_before.is_empty() {
                    "no variables were defined".to_owned()
                } else {
                    format!("these variables were lost: {}", variables_before.join(", "))
                };
                if interrupt.killed {
                    Outcome::error(
                        "KeyboardInterrupt",
                        format!("the cell did not stop within {} s of the interrupt, so the kernel restarted the Rust process; {lost}", GRACE.as_secs()),
                        vec![
                            "KeyboardInterrupt: the cell ignored the interrupt flag.".to_owned(),
                            format!("The Rust process was restarted; {lost}."),
                            "Loops that call fireside::interrupted() (or use fit / progress bars) stop cleanly and keep every variable.".to_owned(),
                        ],
                    )
                } else {
                    let cause = crate::process_death::cause_of_death(&reason, stderr_tail);
                    Outcome::error(
                        "ProcessDied",
                        format!("{cause}; the Rust process was restarted, and {lost}"),
                        vec![
                            format!("The Rust process running the cells died: {cause}."),
                            format!("It was restarted; {lost}."),
                        ],
                    )
                }
            }
            evcxr::Error::TypeRedefinedVariablesLost(variables) => Outcome::error(
                "VariablesLost",
                format!("a type was redefined, so these variables were dropped: {}", variables.join(", ")),
                vec![],
            ),
            evcxr::Error::DependencyRebuild { crate_name } => {
                let reason = stale_template(&crate_name);
                Outcome::error(
                    "StaleTemplate",
                    reason.lines().next().unwrap_or_default(),
                    reason.lines().map(str::to_owned).collect(),
                )
            }
            evcxr::Error::Message(message) => Outcome::error(
                "Error",
                message.lines().next().unwrap_or_default(),
                message.lines().map(str::to_owned).collect(),
            ),
        }
    }

    fn reattach_toolkit(&mut self) {
        if self.setup.interrupter.is_stopping() {
            return;
        }
        let Some(private_dir) = &self.private_dir else { return };
        let Ok(context) = &mut self.context else { return };
        if let Ok(code) = private_dir.reattach_code()
            && let Err(error) = context.execute(&code)
        {
            eprintln!("fireside: could not reload the toolkit after a restart: {error}");
        }
    }

    fn complete(&mut self, message: Message) {
        let outbox = self.setup.outbox.clone();
        outbox.status(&message, ExecutionState::Busy);
        let mut reply = CompleteReply::default();
        if let (Ok(request), Ok(context)) = (message.content_as::<CompleteRequest>(), &mut self.context) {
            let byte_pos = char_to_byte(&request.code, request.cursor_pos);
            reply.cursor_start = request.cursor_pos;
            reply.cursor_end = request.cursor_pos;
            context.set_analysis_time_limit(Some(ANALYSIS_WAIT));
            match context.completions(&request.code, byte_pos) {
                Ok(completions) => {
                    reply.cursor_start = byte_to_char(&request.code, completions.start_offset);
                    reply.cursor_end = byte_to_char(&request.code, completions.end_offset);
                    reply.matches = completions.completions.into_iter().map(|c| c.code).collect();
                }
                // rust-analyzer is still loading (or failed): the names known without it.
                Err(_) => {
                    if let Some(quick_names) = &self.quick_names {
                        let known: Vec<&str> = context
                            .variables_and_types()
                            .map(|(name, _)| name)
                            .chain(context.defined_item_names())
                            .collect();
                        let quick = quick_names.complete(&request.code, byte_pos, known.into_iter());
                        reply.cursor_start = byte_to_char(&request.code, quick.start);
                        reply.cursor_end = byte_to_char(&request.code, quick.end);
                        reply.matches = quick.matches;
                    }
                }
            }
        }
        outbox.reply(&message, reply);
        outbox.status(&message, ExecutionState::Idle);
    }

    fn inspect(&mut self, message: Message) {
        let outbox = self.setup.outbox.clone();
        outbox.status(&message, ExecutionState::Busy);
        let mut reply = InspectReply::default();
        if let (Ok(request), Ok(context)) = (message.content_as::<InspectRequest>(), &mut self.context) {
            context.set_analysis_time_limit(Some(INSPECTION_WAIT));
            let end = end_of_identifier(&request.code, char_to_byte(&request.code, request.cursor_pos));
            if end > 0
                && let Ok((plain, html)) = context.hover_at(&request.code, end)
                && plain != "No documentation found"
                && !plain.trim().is_empty()
            {
                reply.found = true;
                reply.data = Media::new(vec![
                    MediaType::Plain(plain.clone()),
                    MediaType::Markdown(plain),
                    MediaType::Html(html),
                ]);
            }
        }
        outbox.reply(&message, reply);
        outbox.status(&message, ExecutionState::Idle);
    }
}

/// The MIME bundle of a cell's final value, as evcxr collected it.
fn display_bundle(outputs: &EvalOutputs) -> serde_json::Map<String, Value> {
    let by_mime: &HashMap<String, String> = &outputs.content_by_mime_type;
    by_mime.iter().map(|(mime, content)| (mime.clone(), json!(content))).collect()
}

/// After `:timing`, each cell says how long it took and where the time
/// went (evcxr's phases: compiling, with its fix-up rounds, and running).
fn timing_text(outputs: &EvalOutputs) -> Option<String> {
    let total = outputs.timing?;
    let phases: Vec<String> = outputs
        .phases
        .iter()
        .map(|phase| format!("{} {} ms", phase.name, phase.duration.as_millis()))
        .collect();
    Some(format!("took {} ms ({})\n", total.as_millis(), phases.join(", ")))
}

/// Jupyter counts cursor positions in Unicode code points; evcxr in bytes.
fn char_to_byte(code: &str, chars: usize) -> usize {
    code.char_indices().nth(chars).map(|(byte, _)| byte).unwrap_or(code.len())
}

fn byte_to_char(code: &str, byte: usize) -> usize {
    code[..byte.min(code.len())].chars().count()
}

/// Inspect shows the item the cursor is in, so look up to its end.
fn end_of_identifier(code: &str, byte: usize) -> usize {
    let rest = &code[byte.min(code.len())..];
    let extra: usize =
        rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').map(char::len_utf8).sum();
    byte + extra
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_positions_convert_between_chars_and_bytes() {
        let code = "let é = 1;";
        assert_eq!(char_to_byte(code, 5), 6);
        assert_eq!(byte_to_char(code, 6), 5);
        assert_eq!(char_to_byte(code, 100), code.len());
    }

    #[test]
    fn inspect_looks_at_the_whole_identifier() {
        let code = "Dense::new(3)";
        assert_eq!(end_of_identifier(code, 2), 5);
        assert_eq!(end_of_identifier(code, 7), 10);
    }
}
