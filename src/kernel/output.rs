//! The kernel's output sink: Lisp and Python output of the running cell becomes `stream`
//! messages, in program order, batched (sent at most every [`FLUSH_INTERVAL`], and before any
//! other message of the cell), and capped at [`CELL_CAP`] bytes per cell with a note saying so.
//! `display` becomes `display_data` / `update_display_data`.

use super::sockets::Sender;
use crate::runtime::output::{Display, Output, Stream};
use serde_json::{json, Value as Json};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Stream text waits at most this long before it is sent while a cell runs.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// Stream bytes one cell may send; the rest is dropped with a note.
pub const CELL_CAP: usize = 512 * 1024;

pub struct KernelOutput {
    sender: Sender,
    state: Mutex<State>,
}

struct State {
    /// The request the output answers (its header).
    parent: Json,
    /// Text not sent yet, as runs of one stream, in order.
    pending: Vec<(Stream, String)>,
    since: Option<Instant>,
    /// Stream bytes sent (or queued) for this cell.
    sent: usize,
    /// Bytes dropped past the cap.
    dropped: usize,
}

impl KernelOutput {
    pub fn new(sender: Sender) -> KernelOutput {
        KernelOutput {
            sender,
            state: Mutex::new(State {
                parent: json!({}),
                pending: Vec::new(),
                since: None,
                sent: 0,
                dropped: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new cell starts: its output answers `parent`.
    pub fn begin(&self, parent: &Json) {
        let mut s = self.lock();
        self.send_pending(&mut s);
        s.parent = parent.clone();
        s.sent = 0;
        s.dropped = 0;
    }

    /// The cell is done: everything pending is sent, with the note if output was cut.
    pub fn end(&self) {
        let mut s = self.lock();
        self.send_pending(&mut s);
        if s.dropped > 0 {
            let note = format!(
                "\n[output cut: this cell printed more than {} KiB; {} more bytes were not shown]\n",
                CELL_CAP / 1024,
                s.dropped
            );
            self.sender
                .publish("stream", &s.parent, json!({"name": "stderr", "text": note}));
            s.dropped = 0;
        }
    }

    /// Sends what is pending if it has waited long enough (called by a timer while a cell
    /// runs).
    pub fn flush_if_due(&self) {
        let mut s = self.lock();
        if s.since.is_some_and(|t| t.elapsed() >= FLUSH_INTERVAL) {
            self.send_pending(&mut s);
        }
    }

    /// Sends what is pending now (before the kernel asks for input).
    pub fn publish_pending(&self) {
        let mut s = self.lock();
        self.send_pending(&mut s);
    }

    /// Sends a message of the cell after the pending output (so the order holds).
    pub fn publish(&self, msg_type: &str, content: Json) {
        let mut s = self.lock();
        self.send_pending(&mut s);
        self.sender.publish(msg_type, &s.parent, content);
    }

    pub fn parent(&self) -> Json {
        self.lock().parent.clone()
    }

    // The lock is held while queueing, so two flushes cannot reorder their messages.
    fn send_pending(&self, s: &mut State) {
        s.since = None;
        for (stream, text) in std::mem::take(&mut s.pending) {
            let name = match stream {
                Stream::Stdout => "stdout",
                Stream::Stderr => "stderr",
            };
            self.sender
                .publish("stream", &s.parent, json!({"name": name, "text": text}));
        }
    }
}

/// The longest prefix of `text` of at most `n` bytes that ends on a character boundary.
fn prefix(text: &str, n: usize) -> &str {
    let mut end = n.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Output for KernelOutput {
    fn write(&self, stream: Stream, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut s = self.lock();
        let room = CELL_CAP.saturating_sub(s.sent);
        let kept = prefix(text, room);
        s.dropped += text.len() - kept.len();
        if kept.is_empty() {
            return;
        }
        s.sent += kept.len();
        match s.pending.last_mut() {
            Some((last, t)) if *last == stream => t.push_str(kept),
            _ => s.pending.push((stream, kept.to_string())),
        }
        if s.since.is_none() {
            s.since = Some(Instant::now());
        }
    }

    fn flush(&self) {
        // Called before every Python request: sending on each would split the text into
        // many small messages, so only text that has waited long enough goes now.
        self.flush_if_due();
    }

    fn display(&self, d: &Display) -> bool {
        let mut content: Json = match serde_json::from_str(&d.bundle) {
            Ok(Json::Object(m)) => Json::Object(m),
            _ => json!({"data": {"text/plain": d.bundle}, "metadata": {}}),
        };
        content["transient"] = match &d.id {
            Some(id) => json!({"display_id": id}),
            None => json!({}),
        };
        let kind = if d.update {
            "update_display_data"
        } else {
            "display_data"
        };
        self.publish(kind, content);
        true
    }

    fn shows_rich(&self) -> bool {
        true
    }

    fn clear(&self, wait: bool) {
        self.publish("clear_output", json!({"wait": wait}));
    }
}

#[cfg(test)]
mod tests {
    use super::prefix;

    #[test]
    fn cut_text_keeps_whole_characters() {
        assert_eq!(prefix("héllo", 2), "h");
        assert_eq!(prefix("héllo", 3), "hé");
        assert_eq!(prefix("abc", 10), "abc");
    }
}
