//! The runtime: values, the VM that runs compiled code (value stack, globals, calls with tail
//! calls and a depth guard), errors, and the builtins.
//!
//! A call pushes its arguments on the value stack; for a Lisp function they become the first
//! slots of its frame. `invoke` is the trampoline: a body that ends in a tail call leaves the
//! callee in `vm.tail`, and `invoke` moves the new arguments down over the old frame and loops,
//! so tail recursion runs in constant Rust stack. Deep non-tail recursion grows the Rust stack
//! on demand (stacker) up to `max_depth` calls, then fails with a clean `RecursionError`.

pub mod builtins;
pub mod cycles;
pub mod error;
pub mod function;
pub mod host;
pub mod interrupt;
pub mod output;
pub mod printer;
pub mod value;

use crate::source::Span;
use crate::symbol::{self, Sym};
use error::{arity_error, ErrorKind, Exn, LispError, TraceFrame};
use function::{rest_list, Frame};
use host::{Host, NoHost};
use output::{Output, StdStreams};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use value::{Builtin, BuiltinFn, HostArgs, Value};

/// A call in tail position, waiting for the trampoline: the arguments are on the stack from
/// `base` up.
pub struct TailCall {
    pub callee: Value,
    pub base: usize,
    pub span: Span,
}

/// Default limit on nested (non-tail) calls.
pub const DEFAULT_MAX_DEPTH: usize = 100_000;

pub struct Vm {
    pub stack: Vec<Value>,
    pub globals: Vec<Value>,
    global_names: Vec<Sym>,
    global_ids: HashMap<Sym, usize>,
    pub tail: Option<TailCall>,
    pub recur: bool,
    pub depth: usize,
    pub max_depth: usize,
    /// Docstrings of globals, from `(def name "doc" value)`, `defn` and `defmacro`.
    pub docs: HashMap<usize, String>,
    /// False while the prelude loads: a Ctrl-C then waits for the first user form.
    pub interruptible: bool,
    /// Inside `pool-map`: a Lisp function returning a pending Python call returns it as it
    /// is (not waited for), so every item's calls go out before any is awaited.
    pub spreading: bool,
    /// Lisp functions handed to Python as callables, by callback id.
    pub callbacks: HashMap<u32, Value>,
    pub next_callback: u32,
    /// The span of the call being made, for errors raised by builtins that call back into Lisp.
    pub call_span: Span,
    /// The host language (Python), reached only through its trait.
    pub host: Rc<dyn Host>,
    /// Where `print`, `println` and `prn` write.
    pub out: Arc<dyn Output>,
}

impl Default for Vm {
    fn default() -> Self {
        Vm::new()
    }
}

impl Vm {
    pub fn new() -> Vm {
        let mut vm = Vm::bare();
        vm.stack.reserve(1024);
        builtins::install(&mut vm);
        vm
    }

    /// A VM with no globals at all: for running a Python chain where no Lisp code may run
    /// (printing a lazy value).
    pub fn bare() -> Vm {
        Vm::bare_with(Rc::new(NoHost))
    }

    /// A VM with no globals, talking to `host`.
    pub fn bare_with(host: Rc<dyn Host>) -> Vm {
        Vm {
            stack: Vec::new(),
            globals: Vec::new(),
            global_names: Vec::new(),
            global_ids: HashMap::new(),
            tail: None,
            recur: false,
            depth: 0,
            max_depth: DEFAULT_MAX_DEPTH,
            interruptible: true,
            spreading: false,
            docs: HashMap::new(),
            callbacks: HashMap::new(),
            next_callback: 0,
            call_span: Span::default(),
            host,
            out: Arc::new(StdStreams::default()),
        }
    }

    /// The global slot for `name`, created (unbound) on first mention.
    pub fn global_id(&mut self, name: Sym) -> usize {
        if let Some(id) = self.global_ids.get(&name) {
            return *id;
        }
        let name = symbol::pin(name);
        let id = self.globals.len();
        self.globals.push(Value::Unbound);
        self.global_names.push(name);
        self.global_ids.insert(name, id);
        id
    }

    pub fn global_name(&self, id: usize) -> Sym {
        self.global_names[id]
    }

    pub fn global_value(&self, name: Sym) -> Option<Value> {
        let id = self.global_ids.get(&name)?;
        match &self.globals[*id] {
            Value::Unbound => None,
            v => Some(v.clone()),
        }
    }

    /// The docstring of a global, if it has one.
    pub fn doc(&self, name: Sym) -> Option<&str> {
        let id = self.global_ids.get(&name)?;
        self.docs.get(id).map(String::as_str)
    }

    pub fn define(&mut self, name: &str, v: Value) {
        let id = self.global_id(symbol::intern(name));
        self.globals[id] = v;
    }

    /// Names of all bound globals (for completion and "did you mean").
    pub fn bound_names(&self) -> Vec<Sym> {
        self.global_names
            .iter()
            .zip(&self.globals)
            .filter(|(_, v)| !matches!(v, Value::Unbound))
            .map(|(n, _)| *n)
            .collect()
    }

    pub fn unbound_error(&self, id: usize, span: Span) -> Exn {
        let name = self.global_name(id).name();
        let mut e = LispError::new(ErrorKind::Unbound, format!("unbound symbol `{name}`")).at(span);
        let candidates = self
            .bound_names()
            .into_iter()
            .map(|s| s.name().to_string())
            .chain(symbol::SPECIAL_FORMS.iter().map(|s| s.to_string()));
        if let Some(hint) = known_alternative(&name) {
            e = e.with_help(hint);
        } else if let Some(best) = did_you_mean(&name, candidates) {
            e = e.with_help(format!("did you mean `{best}`?"));
        }
        e
    }

    #[inline]
    pub fn check_interrupt(&self) -> Result<(), Exn> {
        if interrupt::pending() && self.interruptible && interrupt::take() {
            return Err(LispError::new(ErrorKind::Interrupt, "interrupted"));
        }
        Ok(())
    }

    /// Does the caught error `e` match `(catch name ...)`?
    pub fn error_matches(&self, e: &LispError, name: &str) -> bool {
        name == "Exception"
            || name == "Error"
            || e.kind.type_name() == name
            || e.host_exception
                .as_ref()
                .is_some_and(|x| x.host.is_instance(x, name))
    }

    /// The items of a collection, or of a host iterable (pulled through the host).
    pub fn seq_items(&mut self, v: &Value, op: &str) -> Result<Vec<Value>, Exn> {
        if v.is_host() {
            let (host, span) = (self.host.clone(), self.call_span);
            return host.items(self, v, None, span);
        }
        builtins::seq::items(v, op)
    }

    /// Calls `f` with each item of a collection; a host iterator is pulled one item at a time,
    /// only while `f` asks for more (it returns false to stop), so a consumer that stops early
    /// ends an infinite iterator, and one whose items are used in step (groupby) sees them whole.
    pub fn each_item(
        &mut self,
        coll: &Value,
        op: &str,
        mut f: impl FnMut(&mut Vm, Value) -> Result<bool, Exn>,
    ) -> Result<(), Exn> {
        if coll.is_host() {
            let host = self.host.clone();
            if host.is_iterator(self, coll)? {
                let span = self.call_span;
                while let Some(x) = host.items(self, coll, Some(1), span)?.pop() {
                    if !f(self, x)? {
                        break;
                    }
                }
                return Ok(());
            }
        }
        // Lisp lists and vectors are walked in place (no copy of the whole collection first).
        match coll {
            Value::List(l) => {
                for x in l.iter() {
                    if !f(self, x.clone())? {
                        break;
                    }
                }
            }
            Value::Vector(items) => {
                for x in items.0.iter() {
                    if !f(self, x.clone())? {
                        break;
                    }
                }
            }
            _ => {
                for x in self.seq_items(coll, op)? {
                    if !f(self, x)? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// The value of a lazy host chain; other values as they are.
    pub fn force(&mut self, v: &Value) -> Result<Value, Exn> {
        match v {
            Value::Lazy(_) => {
                let host = self.host.clone();
                host.force(self, v)
            }
            other => Ok(other.clone()),
        }
    }

    /// Waits for the host's calls still in flight; raises the first failure among them.
    pub fn settle(&mut self) -> Result<(), Exn> {
        let host = self.host.clone();
        host.settle(self)
    }

    /// Calls `f` with `args` (from builtins such as `map` and from the engine).
    /// A builtin sees values: a pending call's answer (a pipelining backend) is waited for.
    pub fn apply(&mut self, f: &Value, args: Vec<Value>) -> Result<Value, Exn> {
        let v = self.apply_pending(f, args)?;
        self.resolved(v)
    }

    /// `apply` with one argument, pushed straight onto the stack (no vector of arguments: the
    /// per-item call of `map`, `filter` and friends).
    pub fn apply1(&mut self, f: &Value, x: Value) -> Result<Value, Exn> {
        let v = self.apply1_pending(f, x)?;
        self.resolved(v)
    }

    /// [`Vm::apply1`] that may return a pending call.
    pub fn apply1_pending(&mut self, f: &Value, x: Value) -> Result<Value, Exn> {
        let base = self.stack.len();
        self.stack.push(x);
        let span = self.call_span;
        self.invoke(f.clone(), base, span)
    }

    /// `apply` with two arguments, pushed straight onto the stack (`reduce`'s call).
    pub fn apply2(&mut self, f: &Value, a: Value, b: Value) -> Result<Value, Exn> {
        let base = self.stack.len();
        self.stack.push(a);
        self.stack.push(b);
        let span = self.call_span;
        let v = self.invoke(f.clone(), base, span)?;
        self.resolved(v)
    }

    /// `apply` that may return a pending call (see [`Vm::resolved`]): a builtin that makes
    /// many calls issues them all before it waits for any.
    pub fn apply_pending(&mut self, f: &Value, args: Vec<Value>) -> Result<Value, Exn> {
        let base = self.stack.len();
        self.stack.extend(args);
        let span = self.call_span;
        self.invoke(f.clone(), base, span)
    }

    /// The value of a pending call (waiting for it); other values as they are.
    pub fn resolved(&mut self, v: Value) -> Result<Value, Exn> {
        match &v {
            Value::Lazy(l) if l.is_pending() => self.force(&v),
            _ => Ok(v),
        }
    }

    /// Calls `callee` with the arguments on the stack from `base`; leaves the stack at `base`.
    /// The trampoline: a Lisp function's tail call comes back in `self.tail` and loops here.
    pub fn invoke(&mut self, mut callee: Value, base: usize, mut span: Span) -> Result<Value, Exn> {
        loop {
            let r = match &callee {
                Value::Func(c) => match self.call_closure(c, base, span).and_then(|v| {
                    // A function returning a pending Python call waits for it as it returns:
                    // a failure then shows this function in the Lisp stack, as in-process.
                    match &v {
                        Value::Lazy(l)
                            if self.tail.is_none() && l.is_pending() && !self.spreading =>
                        {
                            self.force(&v)
                        }
                        _ => Ok(v),
                    }
                }) {
                    Ok(v) => match self.tail.take() {
                        Some(t) => {
                            self.stack.drain(base..t.base);
                            callee = t.callee;
                            span = t.span;
                            continue;
                        }
                        None => Ok(v),
                    },
                    Err(mut e) => {
                        self.tail = None;
                        if !c.proto.toplevel {
                            e.trace.push(TraceFrame {
                                function: c.proto.display_name(),
                                span,
                            });
                        }
                        Err(e)
                    }
                },
                Value::Builtin(b) => self.invoke_builtin(b, base, span),
                Value::Host(_) | Value::Lazy(_) => {
                    let args: Vec<Value> = self.stack.split_off(base);
                    let host = self.host.clone();
                    host.call(self, &callee, &args, span)
                }
                Value::Keyword(_) | Value::Map(_) | Value::Vector(_) => {
                    let args: Vec<Value> = self.stack[base..].to_vec();
                    builtins::seq::call_collection(&callee, &args).map_err(|e| e.at(span))
                }
                other => Err(not_callable(other).at(span)),
            };
            self.stack.truncate(base);
            return r;
        }
    }

    /// A builtin with the arguments on the stack from `base`. A builtin sees values: lazy host
    /// chains among its arguments run first, and host iterables become vectors where the
    /// builtin declared it takes a collection.
    fn invoke_builtin(
        &mut self,
        b: &'static Builtin,
        base: usize,
        span: Span,
    ) -> Result<Value, Exn> {
        if let Err(e) = self.force_lazy_args(base, span) {
            self.stack.truncate(base);
            return Err(e);
        }
        let nargs = self.stack.len() - base;
        if nargs < b.min_args || b.max_args.is_some_and(|m| nargs > m) {
            return Err(arity_error(format!(
                "`{}` takes {}, got {}",
                b.name,
                describe_arity(b.min_args, b.max_args),
                nargs
            ))
            .at(span));
        }
        let r = match b.f {
            BuiltinFn::Pure(f)
                if !matches!(b.host, HostArgs::None)
                    && self.stack[base..].iter().any(Value::is_host) =>
            {
                let mut args = self.stack.split_off(base);
                let saved = std::mem::replace(&mut self.call_span, span);
                let r = match self.host_args(b.host, &mut args, span) {
                    Ok(None) => f(&args),
                    Ok(Some(v)) => Ok(v),
                    Err(e) => Err(e),
                };
                self.call_span = saved;
                r
            }
            BuiltinFn::Pure(f) => f(&self.stack[base..]),
            BuiltinFn::WithVm(f) => {
                let mut args = self.stack.split_off(base);
                let saved = std::mem::replace(&mut self.call_span, span);
                let host_answer =
                    if matches!(b.host, HostArgs::None) || !args.iter().any(Value::is_host) {
                        Ok(None)
                    } else {
                        self.host_args(b.host, &mut args, span)
                    };
                let r = match host_answer {
                    Ok(None) => f(self, args),
                    Ok(Some(v)) => Ok(v),
                    Err(e) => Err(e),
                };
                self.call_span = saved;
                r
            }
        };
        r.map_err(|e| e.at(span))
    }

    /// Host values among a builtin's arguments, as the builtin declared it takes them:
    /// `Some(v)` when the host answered the whole call (`(get obj key)` is `obj[key]`).
    fn host_args(
        &mut self,
        how: HostArgs,
        args: &mut [Value],
        span: Span,
    ) -> Result<Option<Value>, Exn> {
        match how {
            HostArgs::None => Ok(None),
            HostArgs::First(op) if args.first().is_some_and(Value::is_host) => {
                let host = self.host.clone();
                host.op(self, op, args, span).map(Some)
            }
            HostArgs::Any(op) if args.iter().any(Value::is_host) => {
                let host = self.host.clone();
                host.op(self, op, args, span).map(Some)
            }
            HostArgs::Iterators(op) => {
                let host = self.host.clone();
                for a in &args[1..] {
                    if a.is_host() && host.is_iterator(self, a)? {
                        return host.op(self, op, args, span).map(Some);
                    }
                }
                // Re-iterable host collections (lists, arrays...): their items, eagerly.
                for a in args[1..].iter_mut() {
                    if a.is_host() {
                        *a = Value::vector(host.items(self, a, None, span)?);
                    }
                }
                Ok(None)
            }
            HostArgs::First(_) | HostArgs::Any(_) => Ok(None),
            HostArgs::Items(positions, pull) => {
                let limit = pull.limit(args);
                for &i in positions {
                    if args.get(i).is_some_and(Value::is_host) {
                        let host = self.host.clone();
                        let items = host.items(self, &args[i], limit, span)?;
                        args[i] = Value::vector(items);
                    }
                }
                Ok(None)
            }
        }
    }

    fn force_lazy_args(&mut self, base: usize, span: Span) -> Result<(), Exn> {
        for i in base..self.stack.len() {
            if let Value::Lazy(_) = &self.stack[i] {
                let lazy = self.stack[i].clone();
                let saved = std::mem::replace(&mut self.call_span, span);
                let v = self.force(&lazy);
                self.call_span = saved;
                self.stack[i] = v?;
            }
        }
        Ok(())
    }

    fn call_closure(
        &mut self,
        c: &Rc<value::Closure>,
        base: usize,
        span: Span,
    ) -> Result<Value, Exn> {
        let p = &c.proto;
        let nargs = self.stack.len() - base;
        if nargs != p.nparams && !(p.rest && nargs > p.nparams) {
            return Err(arity_error(format!(
                "`{}` takes {}, got {}",
                p.display_name(),
                describe_arity(p.nparams, if p.rest { None } else { Some(p.nparams) }),
                nargs
            ))
            .at(span));
        }
        if p.rest {
            let extra = self.stack.split_off(base + p.nparams);
            self.stack.push(rest_list(extra));
        }
        if p.frame_size > self.stack.len() - base {
            self.stack.resize(base + p.frame_size, Value::Nil);
        }
        for slot in &p.boxed_params {
            let v = std::mem::take(&mut self.stack[base + slot]);
            self.stack[base + slot] = Value::Cell(Rc::new(RefCell::new(v)));
        }
        if self.depth >= self.max_depth {
            return Err(LispError::new(
                ErrorKind::Recursion,
                format!("recursion depth exceeded ({} nested calls)", self.max_depth),
            )
            .with_help("make the recursive call a tail call, or use loop/recur")
            .at(span));
        }
        self.check_interrupt()?;
        self.depth += 1;
        let frame = Frame {
            base,
            captures: &c.captures,
        };
        // Checking the stack costs a little; every 16th level is enough with this red zone.
        let r = if self.depth.is_multiple_of(16) {
            crate::stack::guarded(|| (p.body)(self, &frame))
        } else {
            (p.body)(self, &frame)
        };
        self.depth -= 1;
        r
    }
}

fn not_callable(v: &Value) -> Exn {
    match v {
        Value::Macro(_) => LispError::new(ErrorKind::Type, "a macro cannot be called at run time")
            .with_help("use it as the head of a form, or call `macroexpand` on quoted code"),
        other => LispError::new(
            ErrorKind::Type,
            format!("{} is not callable", printer::type_and_preview(other)),
        ),
    }
}

pub fn describe_arity(min: usize, max: Option<usize>) -> String {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    match max {
        Some(m) if m == min => format!("{min} {}", plural(min)),
        Some(m) => format!("{min} to {m} arguments"),
        None => format!("at least {min} {}", plural(min)),
    }
}

/// The closest candidate within a small edit distance, for "did you mean".
/// Names from Python, Scheme, Common Lisp and Clojure that mean something else here, with what
/// to write instead: consulted before the edit-distance guess.
const ALTERNATIVES: &[(&str, &str)] = &[
    ("len", "`count`: (count xs)"),
    ("length", "`count`: (count xs)"),
    ("size", "`count`: (count xs)"),
    ("lambda", "`fn`: (fn [x] (* x x))"),
    (
        "define",
        "`def` for values, `defn` for functions: (defn f [x] ...)",
    ),
    ("defun", "`defn`: (defn f [x] ...)"),
    ("defvar", "`def`: (def name value)"),
    ("setq", "`set!` to change a binding, `def` for a new global"),
    ("setf", "`set!`: (set! name value)"),
    ("begin", "`do`: (do a b)"),
    ("progn", "`do`: (do a b)"),
    ("elif", "`cond`: (cond test1 a test2 b :else c)"),
    (
        "else",
        "`:else` as the last test of `cond`, or the third form of `if`",
    ),
    ("switch", "`cond`: (cond test1 a test2 b :else c)"),
    ("case", "`cond`: (cond (= x 1) a (= x 2) b :else c)"),
    ("None", "`nil`"),
    ("null", "`nil`"),
    ("True", "`true`"),
    ("False", "`false`"),
    ("import", "`($py \"module\")`: (def np ($py \"numpy\"))"),
    ("require", "`($py \"module\")` for a Python module"),
    ("printf", "`(println (format \"{} {}\" a b))`"),
    ("puts", "`println`"),
    ("newline", "`(println)`"),
    (
        "while",
        "`loop`/`recur`, `dotimes` or `doseq`: (loop [i 0] (when (< i 3) (recur (inc i))))",
    ),
    (
        "return",
        "`if`/`when`/`cond` to choose the result: a function returns the value of its last form",
    ),
    ("car", "`first`"),
    ("cdr", "`rest`"),
    ("cadr", "`second`"),
    ("null?", "`nil?` or `empty?`"),
    ("eq?", "`=` (or `identical?` for the same object)"),
    ("equal?", "`=`"),
    ("eql", "`=`"),
    ("string-append", "`str`: (str a b)"),
    ("concatenate", "`str` for strings, `concat` for collections"),
    ("append", "`concat` (or `conj` to add one item)"),
    ("push", "`conj`: (conj v x)"),
    ("foldl", "`reduce`: (reduce f init coll)"),
    ("fold", "`reduce`: (reduce f init coll)"),
    ("dict", "a map `{:a 1}` or `(hash-map :a 1)`"),
    ("not-equal", "`not=`"),
    ("raise", "`throw`: (throw \"message\")"),
    ("except", "`catch` inside `try`: (try ... (catch e ...))"),
];

/// A known alternative for a name that is common in other languages.
pub fn known_alternative(name: &str) -> Option<String> {
    ALTERNATIVES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, alt)| format!("there is no `{name}` here; use {alt}"))
}

pub fn did_you_mean(name: &str, candidates: impl Iterator<Item = String>) -> Option<String> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .filter(|c| c != name)
        .map(|c| (levenshtein(name, &c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let c = ["println", "print", "prn"].iter().map(|s| s.to_string());
        assert_eq!(did_you_mean("pritnln", c).as_deref(), Some("println"));
        let c = ["println"].iter().map(|s| s.to_string());
        assert_eq!(did_you_mean("zzz", c), None);
        assert!(known_alternative("len").is_some_and(|h| h.contains("count")));
        assert!(known_alternative("None").is_some_and(|h| h.contains("nil")));
        assert_eq!(known_alternative("count"), None);
    }
}
