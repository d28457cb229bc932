//! Python semantics at the seams, on the Lisp side: the builtins the host answers (operators,
//! `get`, `count`, `contains?`, `assoc`...) become the chain IR's operator, item and collection
//! steps; item assignment and deletion; Lisp vectors as tuple keys.

use super::*;
use crate::runtime::value::{Arith, Compare, HostOp, LazyOp, List};

fn lazy_op(op: LazyOp) -> LazySeqOp {
    match op {
        LazyOp::Map => LazySeqOp::Map,
        LazyOp::Filter => LazySeqOp::Filter,
        LazyOp::Remove => LazySeqOp::Remove,
        LazyOp::Keep => LazySeqOp::Keep,
        LazyOp::TakeWhile => LazySeqOp::TakeWhile,
        LazyOp::DropWhile => LazySeqOp::DropWhile,
        LazyOp::Mapcat => LazySeqOp::Mapcat,
        LazyOp::Partition => LazySeqOp::Partition,
        LazyOp::Drop => LazySeqOp::Drop,
    }
}

fn binary_op(a: Arith) -> BinaryOp {
    match a {
        Arith::Add => BinaryOp::Add,
        Arith::Sub => BinaryOp::Sub,
        Arith::Mul => BinaryOp::Mul,
        Arith::Div => BinaryOp::TrueDiv,
        Arith::FloorDiv => BinaryOp::FloorDiv,
        Arith::Mod => BinaryOp::Mod,
        Arith::Pow => BinaryOp::Pow,
        Arith::MatMul => BinaryOp::MatMul,
        Arith::BitAnd => BinaryOp::BitAnd,
        Arith::BitOr => BinaryOp::BitOr,
        Arith::BitXor => BinaryOp::BitXor,
        Arith::ShiftLeft => BinaryOp::LShift,
        Arith::ShiftRight => BinaryOp::RShift,
    }
}

fn comparison(c: Compare) -> Comparison {
    match c {
        Compare::Eq => Comparison::Eq,
        Compare::Lt => Comparison::Lt,
        Compare::Le => Comparison::Le,
        Compare::Gt => Comparison::Gt,
        Compare::Ge => Comparison::Ge,
    }
}

/// A request being built: steps with their spans, all at one form's span.
struct Request<'a> {
    interop: &'a Interop,
    steps: Vec<Step>,
    spans: Vec<Span>,
    span: Span,
}

impl Request<'_> {
    fn value(&mut self, vm: &mut Vm, v: &Value) -> Result<WireValue, Exn> {
        self.interop
            .to_wire(vm, v, &mut self.steps, &mut self.spans, self.span)
    }

    /// A key of a Python object: a Lisp vector is a tuple (`(get m [1 2])` is `m[1, 2]`).
    fn key(&mut self, vm: &mut Vm, v: &Value) -> Result<WireValue, Exn> {
        match v {
            Value::Vector(items) => Ok(WireValue::Tuple(
                items
                    .iter()
                    .map(|x| self.value(vm, x))
                    .collect::<Result<_, _>>()?,
            )),
            other => self.value(vm, other),
        }
    }

    fn values(&mut self, vm: &mut Vm, vs: &[Value]) -> Result<Vec<WireValue>, Exn> {
        vs.iter().map(|v| self.value(vm, v)).collect()
    }

    /// Appends a step; the operand naming its result.
    fn push(&mut self, step: Step) -> WireValue {
        self.steps.push(step);
        self.spans.push(self.span);
        WireValue::Step(self.steps.len() - 1)
    }

    fn run(self, vm: &mut Vm, mode: ResultMode) -> Result<Value, Exn> {
        self.interop.run(vm, self.steps, &self.spans, mode)
    }
}

impl Interop {
    fn request(&self, span: Span) -> Request<'_> {
        Request {
            interop: self,
            steps: Vec::with_capacity(4),
            spans: Vec::with_capacity(4),
            span,
        }
    }

    /// A builtin whose meaning the host gives when Python objects are among its arguments.
    pub(super) fn host_op(
        &self,
        vm: &mut Vm,
        op: HostOp,
        args: &[Value],
        span: Span,
    ) -> Result<Value, Exn> {
        let mut r = self.request(span);
        match op {
            HostOp::Arith(a) => {
                let operands = r.values(vm, args)?;
                let mut it = operands.into_iter();
                let first = it.next().unwrap_or_default();
                let mut acc = match (a, args.len()) {
                    (Arith::Sub, 1) => r.push(Step::Unary(UnaryOp::Neg, first)),
                    (Arith::Div, 1) => {
                        r.push(Step::Binary(BinaryOp::TrueDiv, WireValue::Int(1), first))
                    }
                    (_, 1) => return Ok(args[0].clone()),
                    _ => first,
                };
                for b in it {
                    acc = r.push(Step::Binary(binary_op(a), acc, b));
                }
            }
            HostOp::Compare(c) => {
                let operands = r.values(vm, args)?;
                r.push(Step::Compare(comparison(c), operands));
            }
            HostOp::NotEqual => {
                let operands = r.values(vm, args)?;
                if operands.len() == 2 {
                    r.push(Step::Compare(Comparison::Ne, operands));
                } else {
                    let eq = r.push(Step::Compare(Comparison::Eq, operands));
                    r.push(Step::Unary(UnaryOp::Truthy, eq));
                    let all_equal = r.run(vm, ResultMode::Auto)?;
                    return Ok(Value::Bool(!all_equal.truthy()));
                }
            }
            HostOp::Identical => {
                let operands = r.values(vm, args)?;
                r.push(Step::Compare(Comparison::Is, operands));
            }
            HostOp::Truthy => {
                let x = r.value(vm, &args[0])?;
                r.push(Step::Unary(UnaryOp::Truthy, x));
            }
            HostOp::BitNot => {
                let x = r.value(vm, &args[0])?;
                r.push(Step::Unary(UnaryOp::Invert, x));
            }
            HostOp::Inc | HostOp::Dec => {
                let x = r.value(vm, &args[0])?;
                let op = if op == HostOp::Inc {
                    BinaryOp::Add
                } else {
                    BinaryOp::Sub
                };
                r.push(Step::Binary(op, x, WireValue::Int(1)));
            }
            HostOp::Get | HostOp::Nth => return self.get(vm, op, args, span),
            HostOp::Lazy(l) => {
                let operands = r.values(vm, args)?;
                r.push(Step::LazySeq(lazy_op(l), operands));
                return r.run(vm, ResultMode::Handle);
            }
            HostOp::Throw => {
                let x = r.value(vm, &args[0])?;
                r.push(Step::Throwable(x));
                return Err(match r.run(vm, ResultMode::Auto)? {
                    Value::Host(exc) => {
                        let d = exc.host.describe(&exc, false);
                        // The class's own name, as for an exception Python raised.
                        let qualified = exc.host.type_name(&exc);
                        let class = qualified
                            .rsplit('.')
                            .next()
                            .unwrap_or(&qualified)
                            .to_string();
                        let mut e = LispError::new(ErrorKind::Host(class), d);
                        e.host_exception = Some(exc);
                        e.at(span)
                    }
                    // Not an exception: thrown as a Lisp value, as any other.
                    _ => {
                        let mut e = LispError::new(
                            ErrorKind::Thrown,
                            crate::runtime::printer::readable(&args[0]),
                        );
                        e.payload = Some(args[0].clone());
                        e.at(span)
                    }
                });
            }
            HostOp::Count => {
                let x = r.value(vm, &args[0])?;
                r.push(Step::Len(x));
                return match r.run(vm, ResultMode::Auto) {
                    // No `__len__` (a generator, say): count what it yields.
                    Err(e) if vm.error_matches(&e, "TypeError") => Ok(Value::Int(
                        self.items(vm, &args[0], None, span)?.len() as i64,
                    )),
                    other => other,
                };
            }
            HostOp::Contains => {
                let c = r.value(vm, &args[0])?;
                let k = r.key(vm, &args[1])?;
                r.push(Step::Contains(c, k));
            }
            HostOp::Keys | HostOp::Vals => {
                let x = r.value(vm, &args[0])?;
                let name = if op == HostOp::Keys { "keys" } else { "values" };
                let method = r.push(Step::GetAttr(x, name.into()));
                r.push(Step::Call(method, Vec::new(), Vec::new()));
                let items = r.run(vm, ResultMode::Items)?;
                return Ok(match items {
                    Value::Vector(v) => Value::List(List::from_vec(v.to_vec())),
                    other => other,
                });
            }
            HostOp::Assoc => {
                let t = r.value(vm, &args[0])?;
                let mut pairs = Vec::new();
                for kv in args[1..].chunks(2) {
                    let k = r.key(vm, &kv[0])?;
                    let v = match kv.get(1) {
                        Some(v) => r.value(vm, v)?,
                        None => {
                            return Err(LispError::new(
                                ErrorKind::Arity,
                                "`assoc` takes keys and values in pairs",
                            )
                            .at(span))
                        }
                    };
                    pairs.push((k, v));
                }
                r.push(Step::Assoc(t, pairs));
            }
            HostOp::Dissoc => {
                let t = r.value(vm, &args[0])?;
                let keys = args[1..]
                    .iter()
                    .map(|k| r.key(vm, k))
                    .collect::<Result<Vec<_>, _>>()?;
                r.push(Step::Dissoc(t, keys));
            }
            HostOp::Conj => {
                let t = r.value(vm, &args[0])?;
                let items = r.values(vm, &args[1..])?;
                r.push(Step::Conj(t, items));
            }
        }
        r.run(vm, ResultMode::Auto)
    }

    /// `(get obj key default?)` / `(nth obj i default?)`: `obj[key]`, or the default when the
    /// key or index is missing. `nth` of an object that cannot be indexed counts its items.
    fn get(&self, vm: &mut Vm, op: HostOp, args: &[Value], span: Span) -> Result<Value, Exn> {
        let mut r = self.request(span);
        let t = r.value(vm, &args[0])?;
        let k = r.key(vm, &args[1])?;
        r.push(Step::GetItem(t, k));
        match r.run(vm, ResultMode::Auto) {
            Err(e) if args.len() == 3 && vm.error_matches(&e, "LookupError") => Ok(args[2].clone()),
            Err(e) if op == HostOp::Nth && vm.error_matches(&e, "TypeError") => {
                let Value::Int(i) = args[1] else {
                    return Err(e);
                };
                let items = self.items(vm, &args[0], Some(i.max(0) as usize + 1), span)?;
                match (
                    usize::try_from(i).ok().and_then(|i| items.get(i)),
                    args.get(2),
                ) {
                    (Some(v), _) => Ok(v.clone()),
                    (None, Some(d)) => Ok(d.clone()),
                    (None, None) => Err(LispError::new(
                        ErrorKind::Index,
                        format!("`nth`: index {i} out of range"),
                    )
                    .at(span)),
                }
            }
            other => other,
        }
    }

    /// Whether a Python value is an iterator (`iter(x) is x`).
    pub(super) fn is_iterator_value(
        &self,
        vm: &mut Vm,
        v: &Value,
        span: Span,
    ) -> Result<bool, Exn> {
        let mut r = self.request(span);
        let x = r.value(vm, v)?;
        r.push(Step::IsIterator(x));
        Ok(r.run(vm, ResultMode::Auto)?.truthy())
    }

    /// `(set! (get target key) v)`.
    pub(super) fn set_item_of(
        &self,
        vm: &mut Vm,
        target: &Value,
        key: &Value,
        v: &Value,
        span: Span,
    ) -> Result<(), Exn> {
        let mut r = self.request(span);
        let t = r.value(vm, target)?;
        let k = r.key(vm, key)?;
        let v = r.value(vm, v)?;
        r.push(Step::SetItem(t, k, v));
        r.run(vm, ResultMode::Auto).map(|_| ())
    }

    /// `(del (get target key))`.
    pub(super) fn del_item_of(
        &self,
        vm: &mut Vm,
        target: &Value,
        key: &Value,
        span: Span,
    ) -> Result<(), Exn> {
        let mut r = self.request(span);
        let t = r.value(vm, target)?;
        let k = r.key(vm, key)?;
        r.push(Step::DelItem(t, k));
        r.run(vm, ResultMode::Auto).map(|_| ())
    }

    /// `(del (. target a b))`.
    pub(super) fn del_attr_of(
        &self,
        vm: &mut Vm,
        target: Value,
        path: &[String],
        span: Span,
    ) -> Result<(), Exn> {
        let Some((last, init)) = path.split_last() else {
            return Ok(());
        };
        let mut r = self.request(span);
        let t = r.value(vm, &target)?;
        let t = getattrs(t, init, &mut r.steps, &mut r.spans, span);
        r.push(Step::DelAttr(t, last.clone()));
        r.run(vm, ResultMode::Auto).map(|_| ())
    }
}
