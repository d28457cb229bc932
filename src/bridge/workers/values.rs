//! Values across the pipe: the Lisp side's wire values as the runtime's (`to_val`, with
//! typed arrays moved into shared memory), the runtime's answers as wire values (`value_of`,
//! handles registered in the worker's table), and chain steps as `run` messages' steps.

use super::codec::{self, Val};
#[cfg(unix)]
use super::shm;
use super::{failure, Slot, WorkersBackend};
use crate::bridge::backend::PyFailure;
use crate::bridge::ir::*;
use crate::buffer::{DType, SharedBuffer};
use crate::ids::*;
use std::rc::Rc;

impl WorkersBackend {
    pub(super) fn to_val(
        &self,
        s: &Slot,
        v: &WireValue,
        depth: usize,
    ) -> Result<Val, Box<PyFailure>> {
        if depth % 32 == 31 {
            return crate::stack::guarded(|| self.to_val_here(s, v, depth));
        }
        self.to_val_here(s, v, depth)
    }

    pub(super) fn to_val_here(
        &self,
        s: &Slot,
        v: &WireValue,
        depth: usize,
    ) -> Result<Val, Box<PyFailure>> {
        if depth > codec::MAX_DEPTH {
            return Err(failure(
                "RecursionError",
                "a value nested deeper than 1000 levels cannot cross to Python".into(),
            ));
        }
        let many = |items: &[WireValue]| -> Result<Vec<Val>, Box<PyFailure>> {
            items.iter().map(|x| self.to_val(s, x, depth + 1)).collect()
        };
        Ok(match v {
            WireValue::None => Val::None,
            WireValue::Bool(b) => Val::Bool(*b),
            WireValue::Int(i) => Val::Int(*i),
            WireValue::BigInt(h) => Val::Big(h.clone()),
            WireValue::Float(f) => Val::Float(*f),
            WireValue::Str(s) => Val::Str(s.clone()),
            WireValue::List(items) => Val::List(many(items)?),
            WireValue::Tuple(items) => Val::Tuple(many(items)?),
            WireValue::Dict(pairs) => Val::Dict(
                pairs
                    .iter()
                    .map(|(k, x)| {
                        Ok((self.to_val(s, k, depth + 1)?, self.to_val(s, x, depth + 1)?))
                    })
                    .collect::<Result<_, Box<PyFailure>>>()?,
            ),
            WireValue::Handle(id) => Val::Handle(self.handle_number(s, *id)?),
            WireValue::Callback(c) => Val::Callback(c.0),
            WireValue::Step(i) => Val::Step(*i as u32),
            WireValue::Pending(t) => Val::Pending(*t),
            WireValue::Array(a) => {
                let Some(b) = self.lent.borrow().get(&a.buffer).cloned() else {
                    return Err(failure("RuntimeError", "a typed array was not lent".into()));
                };
                let shape = a.shape.clone().unwrap_or_else(|| vec![a.len]);
                let fd = (b.byte_len() >= self.settings.shm_threshold)
                    .then(|| self.share(&b))
                    .flatten();
                if let Some(fd) = fd {
                    s.holds.borrow_mut().push((self.next_rid.get(), b.clone()));
                    s.mapped.borrow_mut().insert(b.id());
                    return Ok(Val::Shared {
                        dtype: a.dtype.name().to_string(),
                        shape,
                        id: b.id().0,
                        fd: fd as u32,
                        bytes: b.byte_len() as u64,
                        readonly: b.readonly(),
                    });
                }
                // SAFETY: the buffer is alive (held in `lent`) and holds byte_len bytes.
                let data = unsafe { std::slice::from_raw_parts(b.as_ptr(), b.byte_len()) }.to_vec();
                Val::Array {
                    dtype: a.dtype.name().to_string(),
                    shape: a.shape.clone().unwrap_or_else(|| vec![a.len]),
                    data,
                }
            }
        })
    }

    pub(super) fn value_of(&self, s: &Slot, v: Val) -> WireValue {
        // Decoded values nest at most codec::MAX_DEPTH deep; grow the stack as needed.
        crate::stack::guarded(|| self.value_of_here(s, v))
    }

    pub(super) fn value_of_here(&self, s: &Slot, v: Val) -> WireValue {
        match v {
            Val::None => WireValue::None,
            Val::Bool(b) => WireValue::Bool(b),
            Val::Int(i) => WireValue::Int(i),
            Val::Big(h) => WireValue::BigInt(h),
            Val::Float(f) => WireValue::Float(f),
            Val::Str(s) => WireValue::Str(s),
            Val::Bytes(b) => {
                WireValue::List(b.into_iter().map(|x| WireValue::Int(x.into())).collect())
            }
            Val::List(items) => {
                WireValue::List(items.into_iter().map(|x| self.value_of(s, x)).collect())
            }
            Val::Tuple(items) => {
                WireValue::Tuple(items.into_iter().map(|x| self.value_of(s, x)).collect())
            }
            Val::Dict(pairs) => WireValue::Dict(
                pairs
                    .into_iter()
                    .map(|(k, x)| (self.value_of(s, k), self.value_of(s, x)))
                    .collect(),
            ),
            Val::Handle(n) => WireValue::Handle(self.handle_id(s, n)),
            Val::Callback(c) => WireValue::Callback(CallbackId(c)),
            Val::Step(_) | Val::Pending(_) => WireValue::None,
            Val::Array { dtype, shape, data } => self.array_result(&dtype, shape, data),
            Val::Shared { id, shape, .. } => {
                // One of ours, as it went (`->lisp` of an ndarray over its memory).
                let b = self
                    .shared
                    .borrow()
                    .get(&BufferId(id))
                    .and_then(|(w, _)| w.upgrade());
                match b {
                    Some(b) => {
                        let r = ArrayRef {
                            buffer: b.id(),
                            dtype: b.dtype(),
                            len: b.len(),
                            shape: (shape.len() > 1).then_some(shape),
                        };
                        self.returned.borrow_mut().insert(b.id(), b);
                        WireValue::Array(r)
                    }
                    None => WireValue::None,
                }
            }
        }
    }

    /// The descriptor of `b`'s shared memory, moving it there first (None: it cannot move,
    /// and is copied instead).
    pub(super) fn share(&self, b: &Rc<SharedBuffer>) -> Option<i32> {
        if let Some((w, fd)) = self.shared.borrow().get(&b.id()) {
            if w.strong_count() > 0 {
                return Some(*fd);
            }
        }
        let fd = share_new(b)?;
        self.shared
            .borrow_mut()
            .insert(b.id(), (Rc::downgrade(b), fd));
        Some(fd)
    }

    /// Shared arrays dropped since the last look: each worker that mapped one lets it go.
    pub(super) fn sweep_shared(&self) {
        let mut shared = self.shared.borrow_mut();
        if shared.is_empty() {
            return;
        }
        let dead: Vec<BufferId> = shared
            .iter()
            .filter(|(_, (w, _))| w.strong_count() == 0)
            .map(|(id, _)| *id)
            .collect();
        for id in dead {
            shared.remove(&id);
            for s in &self.slots {
                if s.mapped.borrow_mut().remove(&id) {
                    s.unmaps.borrow_mut().push(Val::Int(id.0 as i64));
                }
            }
        }
    }

    /// The request `rid` to worker `s` (and every one before it) was answered: its arrays
    /// may go.
    pub(super) fn answered(&self, s: &Slot, rid: u64) {
        let mut holds = s.holds.borrow_mut();
        if !holds.is_empty() {
            holds.retain(|(r, _)| *r > rid);
        }
    }

    /// An array the worker sent (`->lisp` of an ndarray): a new typed array with its data.
    pub(super) fn array_result(&self, dtype: &str, shape: Vec<usize>, data: Vec<u8>) -> WireValue {
        let Some(dt) = DType::from_name(dtype) else {
            return WireValue::None;
        };
        let len = data.len() / dt.size().max(1);
        let Ok(b) = SharedBuffer::try_zeroed(dt, len) else {
            return WireValue::None;
        };
        // SAFETY: the new buffer holds len * size >= data.len() bytes.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), b.as_ptr(), len * dt.size()) };
        let b = Rc::new(b);
        let r = ArrayRef {
            buffer: b.id(),
            dtype: dt,
            len,
            shape: (shape.len() > 1).then_some(shape),
        };
        self.returned.borrow_mut().insert(b.id(), b);
        WireValue::Array(r)
    }

    pub(super) fn steps_of(&self, s: &Slot, req: &ChainRequest) -> Result<Val, Box<PyFailure>> {
        Ok(Val::List(
            req.steps
                .iter()
                .map(|step| self.step_val(s, step))
                .collect::<Result<_, _>>()?,
        ))
    }

    pub(super) fn step_val(&self, slot: &Slot, s: &Step) -> Result<Val, Box<PyFailure>> {
        let w = |v: &WireValue| self.to_val(slot, v, 0);
        let ws = |vs: &[WireValue]| -> Result<Val, Box<PyFailure>> {
            Ok(Val::List(vs.iter().map(w).collect::<Result<_, _>>()?))
        };
        let op = |name: &str, mut rest: Vec<Val>| {
            rest.insert(0, Val::str(name));
            Val::List(rest)
        };
        let pairs = |ps: &[(WireValue, WireValue)]| -> Result<Val, Box<PyFailure>> {
            Ok(Val::List(
                ps.iter()
                    .map(|(k, v)| Ok(Val::List(vec![w(k)?, w(v)?])))
                    .collect::<Result<_, Box<PyFailure>>>()?,
            ))
        };
        Ok(match s {
            Step::Import(n) => op("import", vec![Val::str(n)]),
            Step::GetAttr(t, n) => op("getattr", vec![w(t)?, Val::str(n)]),
            Step::Call(t, args, kwargs) => op(
                "call",
                vec![
                    w(t)?,
                    ws(args)?,
                    Val::List(
                        kwargs
                            .iter()
                            .map(|(k, v)| Ok(Val::List(vec![Val::str(k), w(v)?])))
                            .collect::<Result<_, Box<PyFailure>>>()?,
                    ),
                ],
            ),
            Step::GetItem(t, k) => op("getitem", vec![w(t)?, w(k)?]),
            Step::SetAttr(t, n, v) => op("setattr", vec![w(t)?, Val::str(n), w(v)?]),
            Step::Eval(src) => op("eval", vec![Val::str(src)]),
            Step::Exec(src) => op("exec", vec![Val::str(src)]),
            Step::Await(x) => op("await", vec![w(x)?]),
            Step::Iter(x) => op("iter", vec![w(x)?]),
            Step::Take(x, n) => op("take", vec![w(x)?, Val::Int(*n as i64)]),
            Step::ToLisp(x) => op("tolisp", vec![w(x)?]),
            Step::AsHandle(x) => op("ashandle", vec![w(x)?]),
            Step::Builtin(n) => op("builtin", vec![Val::str(n)]),
            Step::MakeException(c, m) => op("mkexc", vec![Val::str(c), Val::str(m)]),
            Step::IsIterator(x) => op("isiter", vec![w(x)?]),
            Step::LazySeq(o, args) => op("lazy", vec![Val::str(o.name()), ws(args)?]),
            Step::Throwable(x) => op("throwable", vec![w(x)?]),
            Step::Binary(o, a, b) => op("binary", vec![Val::str(binary_name(*o)), w(a)?, w(b)?]),
            Step::Compare(c, vs) => op("compare", vec![Val::str(compare_name(*c)), ws(vs)?]),
            Step::Unary(u, a) => op("unary", vec![Val::str(unary_name(*u)), w(a)?]),
            Step::SetItem(t, k, v) => op("setitem", vec![w(t)?, w(k)?, w(v)?]),
            Step::DelItem(t, k) => op("delitem", vec![w(t)?, w(k)?]),
            Step::DelAttr(t, n) => op("delattr", vec![w(t)?, Val::str(n)]),
            Step::Len(t) => op("len", vec![w(t)?]),
            Step::Contains(c, x) => op("contains", vec![w(c)?, w(x)?]),
            Step::Assoc(t, ps) => op("assoc", vec![w(t)?, pairs(ps)?]),
            Step::Dissoc(t, ks) => op("dissoc", vec![w(t)?, ws(ks)?]),
            Step::Conj(t, xs) => op("conj", vec![w(t)?, ws(xs)?]),
        })
    }
}

/// `b` moved into shared memory: its file descriptor.
#[cfg(unix)]
fn share_new(b: &Rc<SharedBuffer>) -> Option<i32> {
    shm::share(b).ok()
}

/// The Lisp's wasm memory and Pyodide's are two: arrays are copied into requests.
#[cfg(not(unix))]
fn share_new(_b: &Rc<SharedBuffer>) -> Option<i32> {
    None
}

pub(super) fn binary_name(o: BinaryOp) -> &'static str {
    match o {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "sub",
        BinaryOp::Mul => "mul",
        BinaryOp::TrueDiv => "truediv",
        BinaryOp::FloorDiv => "floordiv",
        BinaryOp::Mod => "mod",
        BinaryOp::Pow => "pow",
        BinaryOp::MatMul => "matmul",
        BinaryOp::BitAnd => "and",
        BinaryOp::BitOr => "or",
        BinaryOp::BitXor => "xor",
        BinaryOp::LShift => "lshift",
        BinaryOp::RShift => "rshift",
    }
}

pub(super) fn compare_name(c: Comparison) -> &'static str {
    match c {
        Comparison::Eq => "eq",
        Comparison::Ne => "ne",
        Comparison::Lt => "lt",
        Comparison::Le => "le",
        Comparison::Gt => "gt",
        Comparison::Ge => "ge",
        Comparison::Is => "is",
    }
}

pub(super) fn unary_name(u: UnaryOp) -> &'static str {
    match u {
        UnaryOp::Neg => "neg",
        UnaryOp::Invert => "invert",
        UnaryOp::Truthy => "truthy",
    }
}
