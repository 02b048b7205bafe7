//! The five sockets of a Jupyter kernel and the dispatch of shell and
//! control requests. Code runs on the evaluator thread (`evaluator.rs`);
//! everything that needs no Rust compiler is answered here at once, so
//! `kernel_info` is answered while the toolkit is still loading.

use crate::evaluator::{self, EvaluatorHandle, Request};
use crate::history::History;
use crate::interrupt::Interrupter;
use crate::wire::{Message, Signer, WireError};
use crate::{PROTOCOL_VERSION, completeness};
use bytes::Bytes;
use jupyter_protocol::{
    CodeMirrorMode, CommClose, CommId, CommInfoReply, ConnectionInfo, ExecutionState, HelpLink,
    InterruptReply, IoPubWelcome, IsCompleteRequest, JupyterMessageContent, KernelInfoReply, LanguageInfo,
    ReplyError, ReplyStatus, ShutdownReply, ShutdownRequest, Status,
};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};

/// Where outgoing messages go: one queue per socket, each drained by a task
/// that owns the socket's sending half.
#[derive(Clone)]
pub struct Outbox {
    iopub: UnboundedSender<Message>,
    shell: UnboundedSender<Message>,
    control: UnboundedSender<Message>,
    stdin: UnboundedSender<Message>,
}

impl Outbox {
    pub fn publish(&self, parent: &Message, content: impl Into<JupyterMessageContent>) {
        let _ = self.iopub.send(Message::child_of(parent, content));
    }

    /// `content` with its MIME bundle as the cell or the toolkit wrote it:
    /// jupyter-protocol's `Media` would drop a whole bundle whose entries it
    /// cannot type (a JSON type given as a string, as evcxr sends it).
    pub fn publish_with_data(
        &self,
        parent: &Message,
        content: impl Into<JupyterMessageContent>,
        data: serde_json::Map<String, serde_json::Value>,
    ) {
        let mut message = Message::child_of(parent, content);
        message.content["data"] = serde_json::Value::Object(data);
        let _ = self.iopub.send(message);
    }

    pub fn status(&self, parent: &Message, execution_state: ExecutionState) {
        self.publish(parent, Status { execution_state });
    }

    /// A reply on the shell socket.
    pub fn reply(&self, request: &Message, content: impl Into<JupyterMessageContent>) {
        let _ = self.shell.send(Message::child_of(request, content));
    }

    /// An error reply to a request of any type, on the socket it came from.
    fn reply_error(&self, request: &Message, socket: RequestSocket, error: ReplyError) {
        let mut content = serde_json::to_value(error).expect("a ReplyError serializes");
        content["status"] = json!("error");
        let reply =
            Message::child_of_type(request, &request.msg_type().replace("_request", "_reply"), content);
        let _ = self.queue(socket).send(reply);
    }

    fn queue(&self, socket: RequestSocket) -> &UnboundedSender<Message> {
        match socket {
            RequestSocket::Shell => &self.shell,
            RequestSocket::Control => &self.control,
        }
    }

    pub fn ask(&self, parent: &Message, request: jupyter_protocol::InputRequest) {
        let _ = self.stdin.send(Message::child_of(parent, request));
    }
}

/// The largest message a peer may send. Frames are read before their
/// signature can be checked, so without a bound anyone who reaches a port
/// could declare a frame of any length, and the allocation that failed
/// would end the kernel (kernel/zeromq/FIRESIDE.md, change 1).
const MAX_MESSAGE_SIZE: usize = 512 << 20;

fn socket_options() -> zeromq::SocketOptions {
    let mut options = zeromq::SocketOptions::default();
    options.max_message_size(MAX_MESSAGE_SIZE);
    options
}

/// Options of a running kernel that do not come from the connection file.
pub struct KernelOptions {
    pub data_dir: std::path::PathBuf,
}

pub async fn run(connection: ConnectionInfo, options: KernelOptions) -> anyhow::Result<()> {
    let signer = Signer::new(&connection.signature_scheme, &connection.key)?;
    if !signer.is_signing() {
        eprintln!(
            "fireside: warning: the connection file's key is empty, so messages are not signed and \
             anyone who can reach these ports can run code as you; let Jupyter write the \
             connection file (it sets a random key)"
        );
    }
    let url = |port: u16| format!("tcp://{}:{}", connection.ip, port);

    // JEP 65: an `iopub_welcome` for each subscription, so that a client
    // knows when its output will reach it. zeromq-rs's XPUB waits on a slow
    // subscriber where PUB drops its messages (one stalled client would
    // stall every other's output), so this is PUB, told of subscriptions
    // (kernel/zeromq/FIRESIDE.md, change 2).
    let mut iopub = zeromq::PubSocket::with_options(socket_options());
    let mut subscriptions = iopub.subscriptions();
    iopub.bind(&url(connection.iopub_port)).await?;
    let mut shell = zeromq::RouterSocket::with_options(socket_options());
    shell.bind(&url(connection.shell_port)).await?;
    let mut control = zeromq::RouterSocket::with_options(socket_options());
    control.bind(&url(connection.control_port)).await?;
    let mut stdin = zeromq::RouterSocket::with_options(socket_options());
    stdin.bind(&url(connection.stdin_port)).await?;
    let mut heartbeat = zeromq::RepSocket::with_options(socket_options());
    heartbeat.bind(&url(connection.hb_port)).await?;

    let (iopub_tx, iopub_rx) = unbounded_channel();
    let (shell_tx, shell_rx) = unbounded_channel();
    let (control_tx, control_rx) = unbounded_channel();
    let (stdin_tx, stdin_rx) = unbounded_channel();
    let outbox = Outbox { iopub: iopub_tx, shell: shell_tx, control: control_tx, stdin: stdin_tx };

    let (shell_send, shell_recv) = shell.split();
    let (control_send, control_recv) = control.split();
    let (stdin_send, stdin_recv) = stdin.split();
    let session = uuid::Uuid::new_v4().to_string();
    tokio::spawn(drain(iopub, iopub_rx, signer.clone()));
    tokio::spawn(drain(shell_send, shell_rx, signer.clone()));
    tokio::spawn(drain(control_send, control_rx, signer.clone()));
    tokio::spawn(drain(stdin_send, stdin_rx, signer.clone()));
    tokio::spawn(async move {
        loop {
            match heartbeat.recv().await {
                Ok(ping) => {
                    if heartbeat.send(ping).await.is_err() {
                        break;
                    }
                }
                Err(zeromq::ZmqError::NoMessage) => break,
                // One peer's bad message: that peer is dropped, the others still ping.
                Err(error) => eprintln!("fireside: dropped a heartbeat peer: {error}"),
            }
        }
    });

    let _ =
        outbox.iopub.send(Message::orphan(&session, Status { execution_state: ExecutionState::Starting }));
    let welcomes = outbox.iopub.clone();
    let welcome_session = session.clone();
    tokio::spawn(async move {
        use futures::StreamExt;
        while let Some(topic) = subscriptions.next().await {
            let subscription = String::from_utf8_lossy(&topic).into_owned();
            let _ = welcomes.send(Message::orphan(&welcome_session, IoPubWelcome { subscription }));
        }
    });

    let history = Arc::new(History::open(&options.data_dir));
    let interrupter = Arc::new(Interrupter::new());
    let (input_tx, input_rx) = crossbeam_channel::unbounded();
    let evaluator = evaluator::spawn(evaluator::Setup {
        outbox: outbox.clone(),
        history: history.clone(),
        interrupter: interrupter.clone(),
        input_replies: input_rx,
        data_dir: options.data_dir.clone(),
    });

    let (shutdown_tx, mut shutdown_rx) = unbounded_channel::<()>();
    let shared =
        Arc::new(Shared { outbox: outbox.clone(), evaluator, history, interrupter, shutdown: shutdown_tx });

    tokio::spawn(serve(shell_recv, signer.clone(), shared.clone(), RequestSocket::Shell));
    tokio::spawn(serve(control_recv, signer.clone(), shared.clone(), RequestSocket::Control));
    tokio::spawn(serve_stdin(stdin_recv, signer, input_tx));

    // SIGINT interrupts the running cell, as in ipykernel (frontends with
    // interrupt_mode "signal", `kill -INT`, a Ctrl-C where the kernel was
    // started from a shell); SIGTERM, which jupyter_client sends when a
    // shutdown takes too long, shuts down.
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let interrupter_on_sigint = shared.interrupter.clone();
    tokio::spawn(async move {
        while sigint.recv().await.is_some() {
            interrupter_on_sigint.interrupt();
        }
    });
    tokio::select! {
        _ = shutdown_rx.recv() => {}
        _ = sigterm.recv() => eprintln!("fireside: SIGTERM, shutting down"),
        _ = parent_exited() => eprintln!("fireside: the server that started this kernel has exited, shutting down"),
    }
    // A cell still running is stopped, not waited for: a frontend gives a
    // shutdown a few seconds before it kills the kernel by signal.
    shared.interrupter.stop_now();
    shared.evaluator.stop();
    // Give the reply a moment to leave before the process exits.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    Ok(())
}

/// Where jupyter_client puts the process id of the server that starts a
/// kernel. ipykernel's parent poller reads it, and so does fireside.
const PARENT_PID_VARIABLE: &str = "JPY_PARENT_PID";

/// Resolves once the server that started the kernel has exited. A server
/// that ends without shutting its kernels down (jupyter_server stopped by a
/// SIGINT without a terminal, as JupyterHub stops a student's server) would
/// otherwise leave this kernel running, with its memory, for good. Never
/// resolves where no server is named, or where it is not this process's
/// parent (a kernel started by hand from a notebook's terminal).
async fn parent_exited() {
    let named = std::env::var(PARENT_PID_VARIABLE).ok().and_then(|pid| pid.parse::<u32>().ok());
    match named {
        Some(parent) if parent > 1 && std::os::unix::process::parent_id() == parent => {
            while std::os::unix::process::parent_id() == parent {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
        _ => std::future::pending().await,
    }
}

struct Shared {
    outbox: Outbox,
    evaluator: EvaluatorHandle,
    history: Arc<History>,
    interrupter: Arc<Interrupter>,
    shutdown: UnboundedSender<()>,
}

/// The two sockets that carry requests.
#[derive(Clone, Copy, PartialEq)]
enum RequestSocket {
    Shell,
    Control,
}

async fn drain<S: SocketSend>(mut socket: S, mut queue: UnboundedReceiver<Message>, signer: Signer) {
    while let Some(message) = queue.recv().await {
        let frames = message.encode(&signer);
        let Ok(frames) = ZmqMessage::try_from(frames) else {
            continue;
        };
        if let Err(error) = socket.send(frames).await {
            eprintln!("fireside: could not send a {} message: {error}", message.msg_type());
        }
    }
}

/// The next message on a socket that can be trusted; `None` once it closes.
/// Others are dropped (the kernel keeps serving); a signed request whose
/// body is unreadable is answered with an error, so its sender does not wait.
async fn receive<S: SocketRecv>(
    socket: &mut S,
    signer: &Signer,
    reject: impl Fn(&Message, String),
) -> Option<Message> {
    loop {
        let frames: Vec<Bytes> = match socket.recv().await {
            Ok(message) => message.into_vec(),
            Err(zeromq::ZmqError::NoMessage) => {
                eprintln!("fireside: a socket closed");
                return None;
            }
            // One peer's bad message (too large, not ZMTP): that peer is
            // dropped, and the socket goes on serving the others.
            Err(error) => {
                eprintln!("fireside: dropped a peer: {error}");
                continue;
            }
        };
        match Message::decode(frames, signer) {
            Ok(message) => return Some(message),
            Err(WireError::BadJson { request, frame, source }) => {
                eprintln!("fireside: a {} with an unreadable {frame}: {source}", request.msg_type());
                reject(
                    &request,
                    format!("the {frame} of this {} is not valid JSON: {source}", request.msg_type()),
                );
            }
            Err(error) => eprintln!("fireside: dropped an incoming message: {error}"),
        }
    }
}

async fn serve<S: SocketRecv>(mut socket: S, signer: Signer, shared: Arc<Shared>, which: RequestSocket) {
    let reject = |request: &Message, reason: String| {
        if request.msg_type() == "execute_request" {
            // Answered in turn by the evaluator, which knows the execution count.
            return shared.evaluator.send(Request::Malformed(request.clone(), reason));
        }
        if !request.msg_type().ends_with("_request") {
            return;
        }
        shared.outbox.status(request, ExecutionState::Busy);
        let error = ReplyError { ename: "BadRequest".to_owned(), evalue: reason, traceback: Vec::new() };
        shared.outbox.reply_error(request, which, error);
        shared.outbox.status(request, ExecutionState::Idle);
    };
    while let Some(request) = receive(&mut socket, &signer, &reject).await {
        handle(&shared, request, which);
    }
}

async fn serve_stdin<S: SocketRecv>(
    mut socket: S,
    signer: Signer,
    replies: crossbeam_channel::Sender<Message>,
) {
    while let Some(reply) = receive(&mut socket, &signer, |_, _| {}).await {
        if reply.msg_type() == "input_reply" {
            let _ = replies.send(reply);
        }
    }
}

fn handle(shared: &Shared, request: Message, which: RequestSocket) {
    let outbox = &shared.outbox;
    let reply = |content: JupyterMessageContent| {
        let _ = outbox.queue(which).send(Message::child_of(&request, content));
    };
    match request.msg_type() {
        "execute_request" => return shared.evaluator.send(Request::Execute(request)),
        "complete_request" => return shared.evaluator.send(Request::Complete(request)),
        "inspect_request" => return shared.evaluator.send(Request::Inspect(request)),
        _ => {}
    }
    outbox.status(&request, ExecutionState::Busy);
    match request.msg_type() {
        "kernel_info_request" => {
            let mut info = Message::child_of(&request, kernel_info());
            // JEP 92: the optional protocol features this kernel has (none of
            // them: no debugger, no subshells). jupyter-protocol lacks the field.
            info.content["supported_features"] = json!([]);
            let _ = outbox.queue(which).send(info);
        }
        "is_complete_request" => {
            let code = request.content_as::<IsCompleteRequest>().map(|r| r.code).unwrap_or_default();
            reply(completeness::check(&code).into())
        }
        "history_request" => reply(shared.history.answer(&request.content).into()),
        "comm_info_request" => reply(CommInfoReply::default().into()),
        "comm_open" => {
            // No comm targets are registered: close it so the frontend does
            // not wait on a comm that will never answer.
            if let Some(comm_id) = request.content["comm_id"].as_str() {
                outbox.publish(
                    &request,
                    CommClose { comm_id: CommId(comm_id.to_owned()), data: Default::default() },
                );
            }
        }
        "comm_msg" | "comm_close" => {}
        "interrupt_request" => {
            shared.interrupter.interrupt();
            reply(InterruptReply::new().into())
        }
        "shutdown_request" => {
            let restart = request.content_as::<ShutdownRequest>().map(|r| r.restart).unwrap_or(false);
            reply(ShutdownReply { restart, status: ReplyStatus::Ok, error: None }.into());
            outbox.status(&request, ExecutionState::Idle);
            let _ = shared.shutdown.send(());
            return;
        }
        other => {
            eprintln!("fireside: unknown message type {other:?}");
            if other.ends_with("_request") {
                let evalue = format!("fireside does not implement {other}");
                let error =
                    ReplyError { ename: "UnknownMessageType".to_owned(), evalue, traceback: Vec::new() };
                outbox.reply_error(&request, which, error);
            }
        }
    }
    outbox.status(&request, ExecutionState::Idle);
}

pub fn kernel_info() -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: PROTOCOL_VERSION.to_owned(),
        implementation: "fireside".to_owned(),
        implementation_version: env!("CARGO_PKG_VERSION").to_owned(),
        language_info: LanguageInfo {
            name: "rust".to_owned(),
            version: crate::rustc_version(),
            mimetype: Some("text/rust".to_owned()),
            file_extension: Some(".rs".to_owned()),
            pygments_lexer: Some("rust".to_owned()),
            codemirror_mode: Some(CodeMirrorMode::Simple("rust".to_owned())),
            nbconvert_exporter: None,
        },
        banner: format!(
            "fireside {}: Rust with a deep-learning toolkit loaded (use fireside::prelude::*)",
            env!("CARGO_PKG_VERSION")
        ),
        help_links: vec![
            HelpLink { text: "The Rust book".to_owned(), url: "https://doc.rust-lang.org/book/".to_owned() },
            HelpLink { text: "burn".to_owned(), url: "https://burn.dev/".to_owned() },
        ],
        debugger: false,
        error: None,
    }
}
