//! Calling Python from the Lisp: arguments split into positional and keyword ones, the plain
//! fast path (numbers, strings, handles with no conversion work), and the call-site cache that
//! remembers what `(np.sum ...)` resolved to.

use super::*;

/// Positional arguments, and keyword arguments by name.
type SplitArgs<'a> = (Vec<&'a Value>, Vec<(String, &'a Value)>);

/// Splits call arguments into positional ones and `:keyword value` pairs.
fn split_kwargs(args: &[Value], span: Span) -> Result<SplitArgs<'_>, Exn> {
    let mut pos = Vec::new();
    let mut kw = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match &args[i] {
            Value::Keyword(k) if i + 1 < args.len() => {
                kw.push((k.name().to_string(), &args[i + 1]));
                i += 2;
            }
            v => {
                if !kw.is_empty() {
                    return Err(LispError::new(
                        ErrorKind::Syntax,
                        "a positional argument follows keyword arguments",
                    )
                    .with_help("put positional arguments first: (f a b :key value)")
                    .at(span));
                }
                pos.push(v);
                i += 1;
            }
        }
    }
    Ok((pos, kw))
}

fn plain(v: &Value) -> Option<WireValue> {
    Some(match v {
        Value::Nil => WireValue::None,
        Value::Bool(b) => WireValue::Bool(*b),
        Value::Int(i) => WireValue::Int(*i),
        Value::Float(f) => WireValue::Float(*f),
        Value::Str(s) => WireValue::Str(s.to_string()),
        Value::Py(r) => WireValue::Handle(r.id),
        _ => return None,
    })
}

/// Calls a Python callable (a handle or a lazy chain) with Lisp arguments: one request.
pub fn call(vm: &mut Vm, callee: &Value, args: &[Value], span: Span) -> Result<Value, Exn> {
    if let Value::PyLazy(l) = callee {
        if matches!(l.root, LazyRoot::Import(_)) {
            if let Value::Py(f) = resolve_cached(vm, l)? {
                if let Some(wargs) = plain_args(args) {
                    return call_handle_plain(vm, f.id, &wargs, span);
                }
            }
        }
    }
    if let Value::Py(f) = callee {
        if let Some(wargs) = plain_args(args) {
            return call_handle_plain(vm, f.id, &wargs, span);
        }
    }
    let mut steps = Vec::with_capacity(4);
    let mut spans = Vec::with_capacity(4);
    let f = to_wire(vm, callee, &mut steps, &mut spans, span)?;
    let (pos, kw) = split_kwargs(args, span)?;
    let mut wargs = Vec::with_capacity(pos.len());
    for a in pos {
        wargs.push(to_wire(vm, a, &mut steps, &mut spans, span)?);
    }
    let mut wkw = Vec::with_capacity(kw.len());
    for (k, v) in kw {
        wkw.push((k, to_wire(vm, v, &mut steps, &mut spans, span)?));
    }
    steps.push(Step::Call(f, wargs, wkw));
    spans.push(span);
    run(vm, steps, &spans, ResultMode::Auto)
}

/// The hot path: a handle called with plain arguments (numbers, strings, nil, handles) taken
/// straight from the stack. `None` when an argument needs the general path.
fn call_plain(vm: &mut Vm, f: &PyRef, base: usize, span: Span) -> Option<Result<Value, Exn>> {
    let wargs = plain_args(&vm.stack[base..])?;
    Some(call_handle_plain(vm, f.id, &wargs, span))
}

/// Arguments that need no conversion work (numbers, strings, nil, handles); `None` otherwise.
/// One or two of them without a heap allocation (and without moving a large array around).
fn plain_args(args: &[Value]) -> Option<PlainArgs> {
    let plain1 = |a: &Value| {
        if matches!(a, Value::Keyword(_)) {
            None
        } else {
            plain(a)
        }
    };
    Some(match args {
        [] => PlainArgs::Inline([WireValue::None, WireValue::None], 0),
        [a] => PlainArgs::Inline([plain1(a)?, WireValue::None], 1),
        [a, b] => PlainArgs::Inline([plain1(a)?, plain1(b)?], 2),
        more => PlainArgs::Many(more.iter().map(plain1).collect::<Option<Vec<_>>>()?),
    })
}

enum PlainArgs {
    Inline([WireValue; 2], usize),
    Many(Vec<WireValue>),
}

impl std::ops::Deref for PlainArgs {
    type Target = [WireValue];
    fn deref(&self) -> &[WireValue] {
        match self {
            PlainArgs::Inline(a, n) => &a[..*n],
            PlainArgs::Many(v) => v,
        }
    }
}

fn call_handle_plain(
    vm: &mut Vm,
    f: HandleId,
    wargs: &[WireValue],
    span: Span,
) -> Result<Value, Exn> {
    let b = backend().map_err(|e| e.at(span))?;
    let timing = TIMING.with(|t| t.get());
    let started = timing.then(Instant::now);
    crate::runtime::builtins::core::flush_stdout_if_pending();
    let r = b.call_handle(f, wargs, &mut VmHost { vm });
    let out = match r {
        Ok(w) => Ok(from_wire(w, &b.release_queue())),
        Err(fail) => Err(failure_to_error(*fail, &[span])),
    };
    if let Some(t) = started {
        BRIDGE_NANOS.with(|n| n.set(n.get() + t.elapsed().as_nanos() as u64));
    }
    out
}

/// A lazy chain starting at an import, resolved once and reused while the cache is valid.
fn resolve_cached(vm: &mut Vm, lazy: &Rc<Lazy>) -> Result<Value, Exn> {
    if let Some(v) = lazy.resolved.lookup(&Value::Nil) {
        return Ok(v);
    }
    let v = force(vm, &Value::PyLazy(lazy.clone()))?;
    lazy.resolved.store(Value::Nil, v.clone());
    Ok(v)
}

/// A call site's memory of the function its `(target.attr ...)` resolved to. Only chains that
/// start at an import are cached (module and class attributes); the entry is dropped when any
/// request changes attributes (the epoch moves) and re-checked after the TTL.
#[derive(Default)]
pub struct SiteCache {
    entry: RefCell<Option<SiteEntry>>,
}

struct SiteEntry {
    /// The target value (kept alive so its address stays unique).
    target: Value,
    resolved: Value,
    epoch: u64,
    at: Instant,
    uses: Cell<u32>,
}

impl SiteCache {
    /// The cached resolution for `target`, if still valid.
    fn lookup(&self, target: &Value) -> Option<Value> {
        if attr_ttl().is_zero() {
            return None;
        }
        self.entry.borrow().as_ref().and_then(|e| {
            if !same_target(&e.target, target) || e.epoch != epoch() {
                return None;
            }
            // The clock is read every 64 uses only: the TTL is approximate by design.
            let n = e.uses.get().wrapping_add(1);
            e.uses.set(n);
            if n % 64 == 0 && e.at.elapsed() > attr_ttl() {
                return None;
            }
            Some(e.resolved.clone())
        })
    }

    fn store(&self, target: Value, resolved: Value) {
        *self.entry.borrow_mut() = Some(SiteEntry {
            target,
            resolved,
            epoch: epoch(),
            at: Instant::now(),
            uses: Cell::new(0),
        });
    }
}

fn same_target(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // A chain's own cache has no target (storing the chain in itself would be a cycle).
        (Value::Nil, Value::Nil) => true,
        // Chains from the same import along the same path resolve alike: `($py "numpy")`
        // evaluated afresh in a loop still hits.
        (Value::PyLazy(x), Value::PyLazy(y)) => {
            Rc::ptr_eq(x, y)
                || (matches!((&x.root, &y.root), (LazyRoot::Import(a), LazyRoot::Import(b)) if a == b)
                    && x.path == y.path)
        }
        _ => false,
    }
}

/// Calls `(target.path... args)` with the arguments on the stack from `base`, reusing the
/// resolved function while the cache is valid.
pub fn call_attr(
    vm: &mut Vm,
    site: &SiteCache,
    target: Value,
    path: &[String],
    base: usize,
    span: Span,
) -> Result<Value, Exn> {
    let cacheable = matches!(&target, Value::PyLazy(l) if matches!(l.root, LazyRoot::Import(_)));
    if cacheable {
        let callee = match site.lookup(&target) {
            Some(c) => c,
            None => {
                let resolved = force(vm, &attr(target.clone(), path.to_vec(), span))?;
                site.store(target, resolved.clone());
                resolved
            }
        };
        return match &callee {
            Value::Py(f) => {
                if let Some(r) = call_plain(vm, f, base, span) {
                    return r;
                }
                let args = vm.stack.split_off(base);
                call(vm, &callee, &args, span)
            }
            other => {
                let args = vm.stack.split_off(base);
                vm.apply(other, args)
            }
        };
    }
    let callee = attr(target, path.to_vec(), span);
    let args = vm.stack.split_off(base);
    call(vm, &callee, &args, span)
}
