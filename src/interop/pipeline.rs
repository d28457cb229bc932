//! Pending values: calls sent to a pipelining backend (workers) without waiting for their
//! answers. A call returns a [`Pending`] at once; used as the target or an argument of another
//! call it travels as its ticket (the worker resolves it); used for anything else — printing,
//! converting, a Lisp operation, a test, `await` — it is resolved, which waits for its answer.
//!
//! Failures keep program order. The backend skips every request after a failing one until the
//! failure has been raised here ([`Backend::resume`]), so nothing after a failing call runs, as
//! when every call waits. The failure is raised at the first point the program observes the
//! world afterwards: when any pending value is resolved, before the Lisp prints
//! ([`Host::write_stdout`]), at the end of a `try` body and at the end of the top-level form —
//! labelled, as always, at the form that made the failing call.

use super::*;
use crate::bridge::backend::Answer;
use crate::runtime::host::{Pending, PendingState};
use std::collections::{HashMap, HashSet};

/// What the interop knows of the calls in flight.
#[derive(Default)]
pub(super) struct Pipeline {
    /// The spans of each request in flight (one per step: a failure is shown at its step).
    spans: HashMap<u64, Rc<[Span]>>,
    /// Answers that came for pending values not resolved yet.
    answers: HashMap<u64, Result<Value, Exn>>,
    /// Pending values dropped before their answer came: the answer is thrown away.
    dropped: HashSet<u64>,
    /// The first failure not raised yet (its ticket, and the error).
    first_failure: Option<(u64, Exn)>,
    /// The newest ticket issued; and, when a failure was last raised, its ticket and the
    /// newest then: the calls made after the failing one and before the raise did not get
    /// past it in the program, so their own failures (other workers ran them) are not raised
    /// again; their values still fail. (Calls before it, such as the Python call a failing
    /// callback ran under, fail as usual.)
    last_ticket: u64,
    raised: (u64, u64),
    /// The latest failure seen: what a skipped call's value raises when it is used.
    last_failure: Option<Exn>,
}

impl Interop {
    /// Submits a request without waiting, if the backend pipelines; its pending value.
    pub(super) fn submit(
        &self,
        vm: &mut Vm,
        b: &Rc<dyn Backend>,
        req: &ChainRequest,
        spans: &[Span],
    ) -> Option<Result<Value, Exn>> {
        let span = spans.last().copied().unwrap_or_default();
        // A failure already known is raised before anything more is sent.
        if let Err(e) = self.raise_failure(vm, b) {
            return Some(Err(e));
        }
        // Answers already read go to the pipeline now: those of dropped pending values are
        // thrown away, so a loop that never waits holds at most a window of them.
        self.collect(b);
        let ticket = match b.submit(req, &mut VmHost { vm, interop: self })? {
            Ok(t) => t,
            Err(f) => return Some(Err(self.failure_to_error(*f, spans))),
        };
        {
            let mut p = self.pipeline.borrow_mut();
            p.spans.insert(ticket, Rc::from(spans));
            p.last_ticket = p.last_ticket.max(ticket);
        }
        Some(Ok(Pending::value(self.host(), ticket, span)))
    }

    /// Moves the answers the backend has read into the pipeline.
    pub(super) fn collect(&self, b: &Rc<dyn Backend>) {
        for (ticket, answer) in b.take_answers() {
            let spans = self.pipeline.borrow_mut().spans.remove(&ticket);
            let spans = spans.as_deref().unwrap_or(&[]);
            let r = match answer {
                Answer::Value(w) => Ok(self.value_of_wire(w, b)),
                Answer::Failed(f) => {
                    let e = self.failure_to_error(*f, spans);
                    let mut p = self.pipeline.borrow_mut();
                    // The first in program order (tickets grow as calls are made; answers
                    // from several workers come in any order).
                    let (after, through) = p.raised;
                    if !(after < ticket && ticket <= through)
                        && p.first_failure.as_ref().is_none_or(|(t, _)| ticket < *t)
                    {
                        p.first_failure = Some((ticket, e.clone()));
                    }
                    p.last_failure = Some(e.clone());
                    Err(e)
                }
                Answer::Skipped => Err(self.skipped_error()),
            };
            let mut p = self.pipeline.borrow_mut();
            if p.dropped.remove(&ticket) {
                drop(p);
                // Its value goes (handles in it are released); a failure was noted above.
                drop(r);
            } else {
                p.answers.insert(ticket, r);
            }
        }
    }

    fn skipped_error(&self) -> Exn {
        self.pipeline
            .borrow()
            .last_failure
            .clone()
            .unwrap_or_else(|| {
                LispError::new(
                    ErrorKind::Host("RuntimeError".into()),
                    "this Python call did not run: an earlier call failed",
                )
            })
    }

    /// Raises the first failure not raised yet, and lets the backend run requests again.
    pub(super) fn raise_failure(&self, vm: &mut Vm, b: &Rc<dyn Backend>) -> Result<(), Exn> {
        match self.take_first_failure(vm, b) {
            Some((_, e)) => {
                b.resume();
                Err(e)
            }
            None => Ok(()),
        }
    }

    /// The first failure in program order, taken. With several workers a later call may fail
    /// before an earlier one on another worker is answered: the calls made before the failing
    /// one are waited for first, and the earliest failure among them wins.
    fn take_first_failure(&self, vm: &mut Vm, b: &Rc<dyn Backend>) -> Option<(u64, Exn)> {
        loop {
            let t = self.pipeline.borrow().first_failure.as_ref()?.0;
            if !b.answered_before(t) {
                vm.out.flush();
                b.wait_before(t, &mut VmHost { vm, interop: self });
                self.collect(b);
            }
            let mut p = self.pipeline.borrow_mut();
            if p.first_failure.as_ref().is_some_and(|(now, _)| *now == t) {
                p.raised = (t, p.last_ticket);
                return p.first_failure.take();
            }
        }
    }

    /// The value of a pending call: waits for its answer if it has not come.
    pub(super) fn resolve(&self, vm: &mut Vm, p: &Pending) -> Result<Value, Exn> {
        match &*p.state.borrow() {
            PendingState::Ready(v) => return Ok(v.clone()),
            PendingState::Failed(e) => return Err(e.clone()),
            PendingState::InFlight => {}
        }
        let b = self.backend()?;
        let started = self.timing.get().then(Instant::now);
        self.collect(&b);
        if !self.pipeline.borrow().answers.contains_key(&p.ticket) {
            vm.out.flush();
            b.wait(Some(p.ticket), &mut VmHost { vm, interop: self });
            self.collect(&b);
        }
        self.add_bridge_time(started);
        let r = self
            .pipeline
            .borrow_mut()
            .answers
            .remove(&p.ticket)
            .unwrap_or_else(|| {
                Err(LispError::new(
                    ErrorKind::Host("RuntimeError".into()),
                    "internal: a Python call was never answered",
                ))
            });
        *p.state.borrow_mut() = match &r {
            Ok(v) => PendingState::Ready(v.clone()),
            Err(e) => PendingState::Failed(e.clone()),
        };
        // A failure of this call, or of an earlier one, is raised now.
        let first = self.take_first_failure(vm, &b);
        match first {
            Some((t, e)) => {
                b.resume();
                if t == p.ticket {
                    r
                } else {
                    Err(e)
                }
            }
            None => r,
        }
    }

    /// The operand for a pending value in a new request: its ticket while it is in flight.
    pub(super) fn pending_operand(&self, vm: &mut Vm, p: &Pending) -> Result<WireValue, Exn> {
        // An answer already read must be used as the value: the worker lets a kept value go
        // once the host has read its answer.
        if p.in_flight() {
            if let Some(b) = self.backend.borrow().clone() {
                self.collect(&b);
            }
        }
        let answered = p.in_flight() && {
            let pl = self.pipeline.borrow();
            !pl.answers.is_empty() && pl.answers.contains_key(&p.ticket)
        };
        if p.in_flight() && !answered {
            return Ok(WireValue::Pending(p.ticket));
        }
        // Answered (or resolved): the value itself.
        let v = self.resolve(vm, p)?;
        let mut steps = Vec::new();
        let mut spans = Vec::new();
        let w = self.to_wire(vm, &v, &mut steps, &mut spans, vm.call_span)?;
        if steps.is_empty() {
            Ok(w)
        } else {
            // Not a plain operand (cannot happen for answers, which are plain or handles).
            Err(LispError::new(
                ErrorKind::Host("RuntimeError".into()),
                "internal: a pending value's answer is not a plain value",
            ))
        }
    }

    /// Waits for every call in flight; raises the first failure not raised yet.
    pub fn settle_calls(&self, vm: &mut Vm) -> Result<(), Exn> {
        let Some(b) = self.backend.borrow().clone() else {
            return Ok(());
        };
        {
            let p = self.pipeline.borrow();
            if p.spans.is_empty() && p.first_failure.is_none() {
                return Ok(());
            }
        }
        if b.in_flight() {
            vm.out.flush();
            b.wait(None, &mut VmHost { vm, interop: self });
        }
        self.collect(&b);
        self.raise_failure(vm, &b)
    }

    /// A pending value was dropped (see `Host::forget`).
    pub(super) fn forget_ticket(&self, ticket: u64) {
        let Some(b) = self.backend.borrow().clone() else {
            return;
        };
        // Called from `Drop`: never while the pipeline is borrowed here, but be safe.
        let Ok(mut p) = self.pipeline.try_borrow_mut() else {
            return;
        };
        let answer = p.answers.remove(&ticket);
        if answer.is_none() && p.spans.contains_key(&ticket) {
            p.dropped.insert(ticket);
        }
        drop(p);
        drop(answer);
        b.forget(ticket);
    }
}
