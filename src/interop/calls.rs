//! Calling Python from the Lisp: arguments split into positional and keyword ones, the plain
//! fast path (numbers, strings, handles with no conversion work), and the call-site cache that
//! remembers what `(np.sum ...)` resolved to.

use super::*;
use crate::ids::HandleId;
use crate::runtime::host::SiteEntry;

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
                kw.push((python_name(&k.name()), &args[i + 1]));
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

impl Interop {
    /// Calls a Python callable (a handle or a lazy chain) with Lisp arguments: one request.
    pub fn call_value(
        &self,
        vm: &mut Vm,
        callee: &Value,
        args: &[Value],
        span: Span,
    ) -> Result<Value, Exn> {
        if let Value::Lazy(l) = callee {
            // With the cache off the chain is not resolved apart: it goes with the call, fused.
            if matches!(l.root, LazyRoot::Import(_)) && !self.config.attr_cache_ttl.is_zero() {
                if let Value::Host(f) = self.resolve_cached(vm, l)? {
                    if let Some(wargs) = plain_args(args) {
                        return self.call_handle_plain(vm, f.id, &wargs, span);
                    }
                }
            }
        }
        if let Value::Host(f) = callee {
            if let Some(wargs) = plain_args(args) {
                return self.call_handle_plain(vm, f.id, &wargs, span);
            }
        }
        let mut steps = Vec::with_capacity(4);
        let mut spans = Vec::with_capacity(4);
        let f = self.to_wire(vm, callee, &mut steps, &mut spans, span)?;
        let (pos, kw) = split_kwargs(args, span)?;
        let mut wargs = Vec::with_capacity(pos.len());
        for a in pos {
            wargs.push(self.to_wire(vm, a, &mut steps, &mut spans, span)?);
        }
        let mut wkw = Vec::with_capacity(kw.len());
        for (k, v) in kw {
            wkw.push((k, self.to_wire(vm, v, &mut steps, &mut spans, span)?));
        }
        steps.push(Step::Call(f, wargs, wkw));
        spans.push(span);
        let b = self.backend().map_err(|e| e.at(span))?;
        self.run_on(vm, &b, steps, &spans, ResultMode::Auto, true)
    }

    /// The hot path: a handle called with plain arguments taken straight from the stack.
    /// `None` when an argument needs the general path.
    fn call_plain(
        &self,
        vm: &mut Vm,
        f: &HostRef,
        base: usize,
        span: Span,
    ) -> Option<Result<Value, Exn>> {
        let wargs = plain_args(&vm.stack[base..])?;
        Some(self.call_handle_plain(vm, f.id, &wargs, span))
    }

    fn call_handle_plain(
        &self,
        vm: &mut Vm,
        f: HandleId,
        wargs: &[WireValue],
        span: Span,
    ) -> Result<Value, Exn> {
        let b = self.backend().map_err(|e| e.at(span))?;
        if b.pipelines() {
            let steps = vec![Step::Call(WireValue::Handle(f), wargs.to_vec(), Vec::new())];
            return self.run_on(vm, &b, steps, &[span], ResultMode::Auto, true);
        }
        let started = self.timing.get().then(Instant::now);
        vm.out.flush();
        let r = b.call_handle(f, wargs, &mut VmHost { vm, interop: self });
        let out = match r {
            Ok(w) => Ok(self.value_of_wire(w, &b)),
            Err(fail) => Err(self.failure_to_error(*fail, &[span])),
        };
        self.add_bridge_time(started);
        out
    }

    /// A lazy chain starting at an import, resolved once and reused while the cache is valid.
    fn resolve_cached(&self, vm: &mut Vm, lazy: &Rc<Lazy>) -> Result<Value, Exn> {
        if let Some(v) = self.lookup(&lazy.resolved, &Value::Nil) {
            return Ok(v);
        }
        let v = self.force(vm, &Value::Lazy(lazy.clone()))?;
        self.store(&lazy.resolved, Value::Nil, v.clone());
        Ok(v)
    }

    /// The cached resolution for `target`, if still valid: only chains that start at an
    /// import are cached (module and class attributes); the entry is dropped when any request
    /// changes attributes (the epoch moves) and re-checked after the TTL.
    fn lookup(&self, site: &SiteCache, target: &Value) -> Option<Value> {
        let ttl = self.config.attr_cache_ttl;
        if ttl.is_zero() {
            return None;
        }
        site.entry.borrow().as_ref().and_then(|e| {
            if !same_target(&e.target, target) || e.epoch != self.epoch() {
                return None;
            }
            // The clock is read every 64 uses only: the TTL is approximate by design.
            let n = e.uses.get().wrapping_add(1);
            e.uses.set(n);
            if n % 64 == 0 && e.at.elapsed() > ttl {
                return None;
            }
            Some(e.resolved.clone())
        })
    }

    fn store(&self, site: &SiteCache, target: Value, resolved: Value) {
        *site.entry.borrow_mut() = Some(SiteEntry {
            target,
            resolved,
            epoch: self.epoch(),
            at: Instant::now(),
            uses: Cell::new(0),
        });
    }

    /// Calls `(target.path... args)` with the arguments on the stack from `base`, reusing the
    /// resolved function while the cache is valid.
    pub fn call_attr_site(
        &self,
        vm: &mut Vm,
        site: &SiteCache,
        target: Value,
        path: &[String],
        base: usize,
        span: Span,
    ) -> Result<Value, Exn> {
        let cacheable = !self.config.attr_cache_ttl.is_zero()
            && matches!(&target, Value::Lazy(l) if matches!(l.root, LazyRoot::Import(_)));
        if cacheable {
            let callee = match self.lookup(site, &target) {
                Some(c) => c,
                None => {
                    let chain = Lazy::attr(&self.host(), target.clone(), path.to_vec(), span);
                    let resolved = self.force(vm, &chain)?;
                    self.store(site, target, resolved.clone());
                    resolved
                }
            };
            return match &callee {
                Value::Host(f) => {
                    if let Some(r) = self.call_plain(vm, f, base, span) {
                        return r;
                    }
                    let args = vm.stack.split_off(base);
                    self.call_value(vm, &callee, &args, span)
                }
                other => {
                    let args = vm.stack.split_off(base);
                    vm.apply(other, args)
                }
            };
        }
        let callee = Lazy::attr(&self.host(), target, path.to_vec(), span);
        let args = vm.stack.split_off(base);
        self.call_value(vm, &callee, &args, span)
    }
}

fn same_target(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // A chain's own cache has no target (storing the chain in itself would be a cycle).
        (Value::Nil, Value::Nil) => true,
        // Chains from the same import along the same path resolve alike: `($py "numpy")`
        // evaluated afresh in a loop still hits.
        (Value::Lazy(x), Value::Lazy(y)) => {
            Rc::ptr_eq(x, y)
                || (matches!((&x.root, &y.root), (LazyRoot::Import(a), LazyRoot::Import(b)) if a == b)
                    && x.path == y.path)
        }
        _ => false,
    }
}
