//! Routing between the workers of the pool. A call goes to the worker it is pinned to
//! (`with-worker n`, item i of a `pool-map`, a callback's own worker), else to the worker that
//! owns its first handle or pending operand, else to the home worker 0 — so a program that
//! never pins runs entirely on worker 0, exactly as in-process.
//!
//! An operand that lives on another worker than the call's moves there by value: it is
//! pickled where it lives and unpickled where the call runs (a copy, a handle on that worker
//! the Lisp never sees). Copies of functions, classes and modules (which pickle by name) are
//! kept for as long as the original handle lives, so a `pool-map` pickles its function once
//! per worker; other copies are snapshots, kept while a pin lasts and released when it ends, or
//! right after the call when nothing is pinned. What cannot be pickled fails the call with the
//! reason.
//!
//! `py-exec` run unpinned reaches every worker: it runs on the home worker, then (quietly: no
//! output twice) on every other running worker; the sources are logged and replayed on a pool
//! worker when it starts, so definitions made with `py-exec` exist wherever `pool-map` sends a
//! call.

use super::codec::Val;
use super::{failure, NoCallbacks, Slot, WorkersBackend};
use crate::bridge::backend::{CallbackHost, PyFailure, WorkerRow};
use crate::bridge::ir::{ChainRequest, Step, WireValue};
use crate::ids::HandleId;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

/// What the backend knows of routing.
#[derive(Default)]
pub(super) struct Routing {
    pin: Cell<Option<usize>>,
    /// A worker other than the home one has been used: tickets and operands must be looked
    /// up (until then every call is on worker 0, and routing costs nothing).
    used: Cell<bool>,
    /// The worker each submitted request went to, until the interop has its answer.
    tickets: RefCell<HashMap<u64, usize>>,
    /// Copies of handles on other workers: (original, worker) → the copy there.
    copies: RefCell<HashMap<(HandleId, usize), HandleId>>,
    /// Every copy (those of pending values too), released when the pin ends...
    copy_ids: RefCell<HashSet<HandleId>>,
    /// ...but for copies of functions, classes and modules (they pickle by name, so a copy
    /// is the same object for as long as the original lives): kept until it is released,
    /// so that a `pool-map` pickles its function once per worker, not once per call.
    stable: RefCell<HashSet<HandleId>>,
    /// The sources `py-exec` ran unpinned, in order (replayed on pool workers as they start).
    exec_log: RefCell<Vec<String>>,
}

impl Routing {
    pub(super) fn submitted(&self, rid: u64, slot: usize) {
        if self.used.get() {
            self.tickets.borrow_mut().insert(rid, slot);
        }
    }

    pub(super) fn answered(&self, rid: u64) {
        if self.used.get() {
            self.tickets.borrow_mut().remove(&rid);
        }
    }

    /// A worker died: copies on it are gone with it.
    pub(super) fn forget_slot(&self, slot: usize) {
        let mut copies = self.copies.borrow_mut();
        let mut ids = self.copy_ids.borrow_mut();
        copies.retain(|(_, w), c| {
            let keep = *w != slot;
            if !keep {
                ids.remove(c);
                self.stable.borrow_mut().remove(c);
            }
            keep
        });
    }

    /// A Lisp handle was released: its copies elsewhere may go too.
    pub(super) fn released(&self, h: HandleId) -> Vec<HandleId> {
        let mut copies = self.copies.borrow_mut();
        if copies.is_empty() {
            return Vec::new();
        }
        let mine: Vec<(HandleId, usize)> = copies.keys().filter(|k| k.0 == h).copied().collect();
        let mut ids = self.copy_ids.borrow_mut();
        let mut stable = self.stable.borrow_mut();
        mine.into_iter()
            .filter_map(|k| copies.remove(&k))
            .inspect(|c| {
                ids.remove(c);
                stable.remove(c);
            })
            .collect()
    }

    /// Copies held now (handles the Lisp does not see).
    pub(super) fn copies(&self) -> usize {
        self.copy_ids.borrow().len()
    }

    pub(super) fn is_copy(&self, id: HandleId) -> bool {
        let ids = self.copy_ids.borrow();
        !ids.is_empty() && ids.contains(&id)
    }

    /// A callback from worker `slot` starts: its calls go to that worker (unless pinned
    /// otherwise inside); the pin to restore after.
    pub(super) fn enter_callback(&self, slot: usize) -> Option<Option<usize>> {
        if slot == 0 && self.pin.get().is_none() {
            return None;
        }
        Some(self.pin.replace(Some(slot)))
    }

    pub(super) fn leave_callback(&self, saved: Option<Option<usize>>) {
        if let Some(p) = saved {
            self.pin.set(p);
        }
    }
}

/// A handle or pending operand of a request.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Operand {
    Handle(HandleId),
    Pending(u64),
}

fn operand_of(v: &WireValue) -> Option<Operand> {
    match v {
        WireValue::Handle(id) => Some(Operand::Handle(*id)),
        WireValue::Pending(t) => Some(Operand::Pending(*t)),
        _ => None,
    }
}

/// Every handle and pending operand in `v`, containers included, in order.
fn collect(v: &WireValue, out: &mut Vec<Operand>) {
    match v {
        WireValue::List(items) | WireValue::Tuple(items) => {
            items.iter().for_each(|x| collect(x, out));
        }
        WireValue::Dict(pairs) => pairs.iter().for_each(|(k, x)| {
            collect(k, out);
            collect(x, out);
        }),
        other => out.extend(operand_of(other)),
    }
}

/// Replaces the operands `moved` names in `v` with their copies.
fn substitute(v: &mut WireValue, moved: &HashMap<Operand, HandleId>) {
    match v {
        WireValue::List(items) | WireValue::Tuple(items) => {
            items.iter_mut().for_each(|x| substitute(x, moved));
        }
        WireValue::Dict(pairs) => pairs.iter_mut().for_each(|(k, x)| {
            substitute(k, moved);
            substitute(x, moved);
        }),
        other => {
            if let Some(c) = operand_of(other).and_then(|o| moved.get(&o)) {
                *other = WireValue::Handle(*c);
            }
        }
    }
}

impl WorkersBackend {
    /// The worker `req` runs on, and the request to send there (its operands from other
    /// workers moved to it).
    pub(super) fn route<'r>(
        &self,
        req: &'r ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Result<(usize, Cow<'r, ChainRequest>), Box<PyFailure>> {
        let pin = self.pool.pin.get();
        if !self.pool.used.get() && pin.is_none_or(|p| p == 0) {
            return Ok((0, Cow::Borrowed(req)));
        }
        let mut ops = Vec::new();
        for step in &req.steps {
            for v in step.operands() {
                collect(v, &mut ops);
            }
        }
        let home_of = |o: &Operand| match o {
            Operand::Handle(id) => self.slot_of_handle(*id).map(|s| s.index),
            Operand::Pending(t) => self.slot_of_ticket(*t).map(|s| s.index),
        };
        let target = pin
            .or_else(|| ops.iter().find_map(home_of))
            .unwrap_or(0)
            .min(self.slots.len() - 1);
        let mut moved = HashMap::new();
        for o in ops {
            if moved.contains_key(&o) {
                continue;
            }
            match home_of(&o) {
                Some(from) if from != target => {
                    let copy = self.move_operand(o, from, target, host)?;
                    moved.insert(o, copy);
                }
                _ => {}
            }
        }
        if moved.is_empty() {
            return Ok((target, Cow::Borrowed(req)));
        }
        let mut req = req.clone();
        for step in &mut req.steps {
            for v in step.operands_mut() {
                substitute(v, &moved);
            }
        }
        Ok((target, Cow::Owned(req)))
    }

    /// Copies an operand of worker `from` to worker `to` by pickling: the copy's handle there.
    fn move_operand(
        &self,
        o: Operand,
        from: usize,
        to: usize,
        host: &mut dyn CallbackHost,
    ) -> Result<HandleId, Box<PyFailure>> {
        let (src, dst) = (&self.slots[from], &self.slots[to]);
        let (subject, what) = match o {
            Operand::Handle(id) => {
                if let Some(c) = self.pool.copies.borrow().get(&(id, to)) {
                    return Ok(*c);
                }
                (
                    Val::Handle(self.handle_number(src, id)?),
                    format!("Python handle h{}", id.index),
                )
            }
            Operand::Pending(t) => {
                // Its value is kept on its worker until a later request says it was read.
                self.wait_answers(src, Some(t), host);
                (Val::Pending(t), "the value of an earlier call".to_string())
            }
        };
        let cannot = |how: &str, why: &str| {
            failure(
                "TypeError",
                format!(
                    "{what} lives on worker {from} and cannot move to worker {to}: {how} ({why})"
                ),
            )
        };
        let pickled = self.meta_raw(src, "pickle", subject, Val::None, host)?;
        let (bytes, stable) = match pickled.items() {
            [Val::Bool(true), Val::Bytes(b), stable] => {
                (b.clone(), matches!(stable, Val::Bool(true)))
            }
            [Val::Bool(false), Val::Str(why)] => return Err(cannot("it cannot be pickled", why)),
            _ => return Err(cannot("it cannot be pickled", "no answer")),
        };
        let made = self.meta_raw(dst, "unpickle", Val::None, Val::Bytes(bytes), host)?;
        let copy = match made.items() {
            [Val::Bool(true), Val::Handle(n)] => self.handle_id(dst, *n),
            [Val::Bool(false), Val::Str(why)] => {
                return Err(cannot(&format!("worker {to} cannot unpickle it"), why))
            }
            _ => return Err(cannot("it cannot be unpickled", "no answer")),
        };
        self.pool.copy_ids.borrow_mut().insert(copy);
        if let Operand::Handle(id) = o {
            self.pool.copies.borrow_mut().insert((id, to), copy);
            if stable {
                self.pool.stable.borrow_mut().insert(copy);
            }
        }
        Ok(copy)
    }

    /// Copies `h`'s object to every other worker now (a failure is left for the call that
    /// needs the copy to report).
    pub(super) fn spread_handle(&self, h: HandleId, host: &mut dyn CallbackHost) {
        let Some(from) = self.slot_of_handle(h).map(|s| s.index) else {
            return;
        };
        for to in (0..self.slots.len()).filter(|t| *t != from) {
            let _ = self.move_operand(Operand::Handle(h), from, to, host);
        }
    }

    /// After a call: with nothing pinned, the copies made for it go (their releases ride on
    /// the next request, after the call in the worker's order).
    pub(super) fn after_call(&self) {
        if self.pool.pin.get().is_none() && self.pool.copies() > self.pool.stable.borrow().len() {
            self.drop_copies();
        }
    }

    fn drop_copies(&self) {
        let stable = self.pool.stable.borrow();
        self.pool
            .copies
            .borrow_mut()
            .retain(|_, c| stable.contains(c));
        let mut ids: Vec<HandleId> = Vec::new();
        self.pool.copy_ids.borrow_mut().retain(|c| {
            let keep = stable.contains(c);
            if !keep {
                ids.push(*c);
            }
            keep
        });
        drop(stable);
        for id in ids {
            if let Some(s) = self.slot_of_handle(id) {
                s.pending_release.borrow_mut().push(id);
            }
        }
    }

    /// The worker a submitted request went to (None: not in flight on any).
    pub(super) fn slot_of_ticket(&self, t: u64) -> Option<&Slot> {
        if !self.pool.used.get() {
            return self.slots.first();
        }
        let at = self.pool.tickets.borrow().get(&t).copied();
        match at {
            Some(i) => self.slots.get(i),
            // Submitted before the pool was used: on the home worker.
            None => self.slots.first(),
        }
    }

    /// Pins the calls from now on to worker `w` (see [`Routing`]); the previous pin.
    pub(super) fn pin(&self, w: Option<usize>) -> Option<usize> {
        let w = w.map(|i| i.min(self.slots.len() - 1));
        if w.is_some_and(|i| i > 0) {
            self.pool.used.set(true);
        }
        let prev = self.pool.pin.replace(w);
        if w.is_none() && prev.is_some() {
            self.drop_copies();
        }
        prev
    }

    /// After `req` ran on `s`: an unpinned `py-exec` on the home worker runs on every other
    /// running worker too (quietly), and is logged for those that start later.
    pub(super) fn broadcast_exec(
        &self,
        s: &Slot,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Result<(), Box<PyFailure>> {
        let [Step::Exec(src)] = req.steps.as_slice() else {
            return Ok(());
        };
        if s.index != 0 || self.pool.pin.get().is_some() || self.slots.len() == 1 {
            return Ok(());
        }
        self.pool.exec_log.borrow_mut().push(src.clone());
        for other in &self.slots[1..] {
            if other.running() {
                self.exec_quietly(other, src, host)?;
            }
        }
        Ok(())
    }

    /// A pool worker (re)started: the definitions `py-exec` made so far are made there too.
    pub(super) fn pool_worker_started(&self, s: &Slot) -> Result<(), Box<PyFailure>> {
        self.pool.used.set(true);
        let log = self.pool.exec_log.borrow().clone();
        for src in &log {
            self.exec_quietly(s, src, &mut NoCallbacks)?;
        }
        Ok(())
    }

    /// Runs `src` with `exec` on worker `s`, its output thrown away (it was shown once, by the
    /// home worker).
    fn exec_quietly(
        &self,
        s: &Slot,
        src: &str,
        host: &mut dyn CallbackHost,
    ) -> Result<(), Box<PyFailure>> {
        let r = self.meta_raw(s, "exec", Val::None, Val::str(src), host)?;
        match r.items() {
            [Val::Bool(true), ..] => Ok(()),
            [Val::Bool(false), Val::Str(why)] => Err(failure(
                "RuntimeError",
                format!(
                    "py-exec ran on the home worker but failed on worker {}: {why}",
                    s.index
                ),
            )),
            _ => Ok(()),
        }
    }

    /// `:workers`: one row per worker.
    pub(super) fn rows(&self) -> Vec<WorkerRow> {
        self.slots
            .iter()
            .map(|s| {
                let in_flight = s.inflight.borrow().len();
                let state = match (s.running(), s.started.get().is_some()) {
                    (true, _) if in_flight > 0 => "busy",
                    (true, _) => "idle",
                    (false, true) => "stopped",
                    (false, false) => "not started",
                };
                let pending = s.pending_release.borrow();
                let handles = s
                    .table
                    .borrow()
                    .ids()
                    .into_iter()
                    .filter(|id| !pending.contains(id) && !self.pool.is_copy(*id))
                    .count();
                WorkerRow {
                    index: s.index,
                    pid: s.running().then(|| s.pid() as u32),
                    state: state.into(),
                    in_flight,
                    handles,
                    restarts: s.restarts.get(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OwnerId;

    fn handle(worker: u16, index: u32) -> HandleId {
        HandleId {
            owner: OwnerId {
                backend: 7,
                worker,
                incarnation: 1,
            },
            index,
            generation: 0,
        }
    }

    #[test]
    fn operands_are_found_inside_containers_in_order() {
        let (a, b) = (handle(1, 1), handle(2, 5));
        let v = WireValue::List(vec![
            WireValue::Int(1),
            WireValue::Dict(vec![(WireValue::Str("k".into()), WireValue::Handle(b))]),
            WireValue::Tuple(vec![WireValue::Pending(9), WireValue::Handle(a)]),
        ]);
        let mut out = Vec::new();
        collect(&v, &mut out);
        assert!(out == vec![Operand::Handle(b), Operand::Pending(9), Operand::Handle(a)]);
    }

    #[test]
    fn moved_operands_are_replaced_by_their_copies_everywhere() {
        let (a, copy) = (handle(1, 1), handle(2, 3));
        let mut step = Step::Call(
            WireValue::Handle(a),
            vec![
                WireValue::List(vec![WireValue::Handle(a), WireValue::Pending(4)]),
                WireValue::Float(2.0),
            ],
            vec![("key".into(), WireValue::Pending(4))],
        );
        let moved = HashMap::from([(Operand::Handle(a), copy), (Operand::Pending(4), copy)]);
        for v in step.operands_mut() {
            substitute(v, &moved);
        }
        let mut left = Vec::new();
        for v in step.operands() {
            collect(v, &mut left);
        }
        assert!(left.iter().all(|o| *o == Operand::Handle(copy)), "{step:?}");
        assert_eq!(left.len(), 4);
    }
}
