//! The kernel's sockets, on their own threads so that they answer while a cell runs: the
//! heartbeat echoes on a thread of its own; one tokio thread receives shell, control and stdin
//! messages and owns the single ordered writer for iopub, shell replies and stdin requests.
//!
//! Control is answered right here (kernel info, interrupt, shutdown), so it works while the
//! evaluator is busy. Shell requests go to the main thread, where the engine lives, in order.
//! Everything the main thread sends goes through one queue, so a cell's outputs, its reply and
//! the `idle` after it leave in the order they were made.

use super::wire::{self, ConnectionInfo, Message, Signer};
use serde_json::{json, Value as Json};
use std::sync::mpsc;
use tokio::sync::mpsc as tmpsc;
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};

/// What the main thread receives.
pub enum Inbound {
    /// A shell request, in arrival order.
    Shell(Message),
    /// The control channel asked the kernel to end (the reply has been sent).
    Shutdown,
}

/// Where an outgoing message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Shell,
    Iopub,
    Stdin,
}

/// A message for the writer: `idents` and `parent` decide where it goes and what it answers.
pub struct Outgoing {
    pub channel: Channel,
    pub msg: Message,
}

/// The main thread's ends of the sockets.
pub struct Wires {
    pub inbound: mpsc::Receiver<Inbound>,
    /// `input_reply` messages from the stdin channel.
    pub input: mpsc::Receiver<Message>,
    pub out: Sender,
}

/// Builds and queues messages for the writer (cheap to clone; usable from any thread).
#[derive(Clone)]
pub struct Sender {
    tx: tmpsc::UnboundedSender<Outgoing>,
    session: String,
}

impl Sender {
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Queues a message of `msg_type` answering `parent` (a request's header).
    pub fn send(
        &self,
        channel: Channel,
        idents: Vec<Vec<u8>>,
        msg_type: &str,
        parent: &Json,
        metadata: Json,
        content: Json,
    ) {
        let msg = Message {
            idents,
            header: wire::header(msg_type, &self.session),
            parent: parent.clone(),
            metadata,
            content,
            buffers: Vec::new(),
        };
        // The writer only goes away when the process ends.
        let _ = self.tx.send(Outgoing { channel, msg });
    }

    /// Publishes on iopub (with the topic front-ends filter by).
    pub fn publish(&self, msg_type: &str, parent: &Json, content: Json) {
        let topic = format!("kernel.{}.{msg_type}", self.session).into_bytes();
        self.send(
            Channel::Iopub,
            vec![topic],
            msg_type,
            parent,
            json!({}),
            content,
        );
    }

    pub fn status(&self, state: &str, parent: &Json) {
        self.publish("status", parent, json!({ "execution_state": state }));
    }
}

/// What the control channel needs from the kernel.
pub struct Control {
    /// The `kernel_info_reply` content.
    pub kernel_info: Json,
    /// Interrupts the main thread (a SIGINT aimed at it).
    pub interrupt: Box<dyn Fn() + Send>,
}

/// Binds every socket and starts the threads. Fails (with the reason) when a port cannot be
/// bound.
pub fn start(info: &ConnectionInfo, signer: Signer, control: Control) -> Result<Wires, String> {
    let session = wire::new_id();
    let (out_tx, out_rx) = tmpsc::unbounded_channel();
    let (in_tx, in_rx) = mpsc::channel();
    let (input_tx, input_rx) = mpsc::channel();
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();

    let hb = info.endpoint(info.hb_port);
    let (hb_ready_tx, hb_ready_rx) = mpsc::channel::<Result<(), String>>();
    std::thread::Builder::new()
        .name("kernel-heartbeat".into())
        .spawn(move || {
            runtime().block_on(async move {
                let mut socket = zeromq::RepSocket::new();
                if let Err(e) = socket.bind(&hb).await {
                    let _ = hb_ready_tx.send(Err(format!("cannot bind {hb}: {e}")));
                    return;
                }
                let _ = hb_ready_tx.send(Ok(()));
                loop {
                    match socket.recv().await {
                        Ok(m) => {
                            let _ = socket.send(m).await;
                        }
                        Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
                    }
                }
            })
        })
        .map_err(|e| format!("cannot start the heartbeat thread: {e}"))?;
    hb_ready_rx
        .recv()
        .map_err(|_| "the heartbeat thread ended".to_string())??;

    let info = info.clone();
    let sender = Sender {
        tx: out_tx,
        session: session.clone(),
    };
    let control_sender = sender.clone();
    std::thread::Builder::new()
        .name("kernel-sockets".into())
        .spawn(move || {
            runtime().block_on(serve(
                info,
                signer,
                control,
                control_sender,
                out_rx,
                in_tx,
                input_tx,
                ready_tx,
            ))
        })
        .map_err(|e| format!("cannot start the socket thread: {e}"))?;
    ready_rx
        .recv()
        .map_err(|_| "the socket thread ended".to_string())??;
    Ok(Wires {
        inbound: in_rx,
        input: input_rx,
        out: sender,
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime builds")
}

fn frames(m: ZmqMessage) -> Vec<Vec<u8>> {
    m.into_vec().into_iter().map(|b| b.to_vec()).collect()
}

fn zmq_message(frames: Vec<Vec<u8>>) -> Option<ZmqMessage> {
    let mut it = frames.into_iter();
    let mut m = ZmqMessage::from(it.next()?);
    for f in it {
        m.push_back(f.into());
    }
    Some(m)
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    info: ConnectionInfo,
    signer: Signer,
    control: Control,
    sender: Sender,
    mut out_rx: tmpsc::UnboundedReceiver<Outgoing>,
    in_tx: mpsc::Sender<Inbound>,
    input_tx: mpsc::Sender<Message>,
    ready: mpsc::Sender<Result<(), String>>,
) {
    let mut shell = zeromq::RouterSocket::new();
    let mut control_socket = zeromq::RouterSocket::new();
    let mut stdin = zeromq::RouterSocket::new();
    let mut iopub = zeromq::XPubSocket::new();
    for (socket, port) in [
        (&mut shell as &mut dyn Bindable, info.shell_port),
        (&mut control_socket, info.control_port),
        (&mut stdin, info.stdin_port),
        (&mut iopub, info.iopub_port),
    ] {
        let endpoint = info.endpoint(port);
        if let Err(e) = socket.bind_to(&endpoint).await {
            let _ = ready.send(Err(format!("cannot bind {endpoint}: {e}")));
            return;
        }
    }
    let _ = ready.send(Ok(()));
    let (mut shell_tx, mut shell_rx) = shell.split();
    let (mut stdin_tx, mut stdin_rx) = stdin.split();

    // Shell requests go to the main thread as they come.
    let shell_signer = signer.clone();
    let shell_in = in_tx.clone();
    tokio::spawn(async move {
        loop {
            match shell_rx.recv().await {
                Ok(m) => match wire::decode(frames(m), &shell_signer) {
                    Ok(msg) => {
                        if shell_in.send(Inbound::Shell(msg)).is_err() {
                            return;
                        }
                    }
                    Err(e) => eprintln!("polyglot kernel: dropped a shell message: {e}"),
                },
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    });

    // Replies to input requests.
    let stdin_signer = signer.clone();
    tokio::spawn(async move {
        loop {
            match stdin_rx.recv().await {
                Ok(m) => match wire::decode(frames(m), &stdin_signer) {
                    Ok(msg) if msg.msg_type() == "input_reply" => {
                        let _ = input_tx.send(msg);
                    }
                    Ok(_) => {}
                    Err(e) => eprintln!("polyglot kernel: dropped a stdin message: {e}"),
                },
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    });

    // Control: answered here, while the main thread may be busy.
    let session = sender.session().to_string();
    let control_signer = signer.clone();
    tokio::spawn(async move {
        loop {
            let m = match control_socket.recv().await {
                Ok(m) => m,
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            let msg = match wire::decode(frames(m), &control_signer) {
                Ok(msg) => msg,
                Err(e) => {
                    eprintln!("polyglot kernel: dropped a control message: {e}");
                    continue;
                }
            };
            let (reply_type, content) = match msg.msg_type() {
                "kernel_info_request" => ("kernel_info_reply", control.kernel_info.clone()),
                "interrupt_request" => {
                    (control.interrupt)();
                    ("interrupt_reply", json!({"status": "ok"}))
                }
                "shutdown_request" => {
                    let restart = msg.flag("restart", false);
                    (
                        "shutdown_reply",
                        json!({"status": "ok", "restart": restart}),
                    )
                }
                other => {
                    eprintln!("polyglot kernel: ignored control message {other}");
                    continue;
                }
            };
            sender.status("busy", &msg.header);
            let reply = Message {
                idents: msg.idents.clone(),
                header: wire::header(reply_type, sender.session()),
                parent: msg.header.clone(),
                metadata: json!({}),
                content,
                buffers: Vec::new(),
            };
            if let Some(z) = zmq_message(wire::encode(&reply, &control_signer)) {
                let _ = control_socket.send(z).await;
            }
            sender.status("idle", &msg.header);
            if reply_type == "shutdown_reply" {
                let _ = in_tx.send(Inbound::Shutdown);
                // A cell still running is stopped; if the main thread cannot end the session
                // in time (a C extension ignoring signals), the process ends anyway.
                (control.interrupt)();
                std::thread::spawn(|| {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    eprintln!("polyglot kernel: shutdown took over 5 s; exiting");
                    // SAFETY: ends the process at once, as the front-end asked.
                    unsafe { libc::_exit(0) };
                });
            }
        }
    });

    // The one writer: everything the kernel sends, in the order it was queued. iopub is
    // XPUB: a new subscriber is greeted with `iopub_welcome` (protocol 5.5).
    loop {
        tokio::select! {
            next = out_rx.recv() => {
                let Some(Outgoing { channel, msg }) = next else { return };
                let Some(z) = zmq_message(wire::encode(&msg, &signer)) else { continue };
                let sent = match channel {
                    Channel::Shell => shell_tx.send(z).await,
                    Channel::Stdin => stdin_tx.send(z).await,
                    Channel::Iopub => iopub.send(z).await,
                };
                match sent {
                    // The front-end closed that socket before the answer came (jupyter_server's
                    // short-lived "nudge" sockets do): nobody is left to tell, as with libzmq.
                    Err(zeromq::ZmqError::Other(m)) if m.contains("not found") => {}
                    Err(e) => {
                        eprintln!("polyglot kernel: could not send a {} message: {e}", msg.msg_type())
                    }
                    Ok(()) => {}
                }
            }
            sub = iopub.recv() => {
                if let Ok(m) = sub {
                    let data = frames(m).concat();
                    if data.first() == Some(&1) {
                        let topic = String::from_utf8_lossy(&data[1..]).into_owned();
                        let welcome = Message {
                            idents: vec![data[1..].to_vec()],
                            header: wire::header("iopub_welcome", &session),
                            parent: json!({}),
                            metadata: json!({}),
                            content: json!({ "subscription": topic }),
                            buffers: Vec::new(),
                        };
                        if let Some(z) = zmq_message(wire::encode(&welcome, &signer)) {
                            let _ = iopub.send(z).await;
                        }
                    }
                }
            }
        }
    }
}

/// Binding, for the sockets of different types in one loop.
trait Bindable {
    fn bind_to<'a>(
        &'a mut self,
        endpoint: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = zeromq::ZmqResult<()>> + 'a>>;
}

impl<S: Socket> Bindable for S {
    fn bind_to<'a>(
        &'a mut self,
        endpoint: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = zeromq::ZmqResult<()>> + 'a>> {
        Box::pin(async move { self.bind(endpoint).await.map(|_| ()) })
    }
}
