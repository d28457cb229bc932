//! Collections and sequences: lists, vectors, maps, strings and nil as sequences, plus the
//! higher-order functions (`map filter reduce apply sort-by ...`) that call back into Lisp.
//! Sequence results are lists, as in Clojure; `vec`/`mapv` give vectors.

use super::{def, defvm, want};
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::printer::type_and_preview;
use crate::runtime::value::{
    Builtin, BuiltinResult, HostArgs, HostOp, LazyOp, List, Map, Pull, Value,
};
use crate::runtime::Vm;
use std::rc::Rc;

pub static BUILTINS: &[Builtin] = &[
    def!("list", 0, None, list, "A list of the arguments."),
    def!("vector", 0, None, vector, "A vector of the arguments."),
    def!("vec", 1, Some(1), vec, "The items of a collection as a vector.", host = HostArgs::Items(&[0], Pull::All)),
    def!("hash-map", 0, None, hash_map, "A map from alternating keys and values."),
    def!("count", 1, Some(1), count, "Number of items (characters for a string; 0 for nil).", host = HostArgs::First(HostOp::Count)),
    def!("first", 1, Some(1), first, "The first item, or nil.", host = HostArgs::Items(&[0], Pull::One)),
    def!("rest", 1, Some(1), rest, "All but the first item, as a list (empty when none).", host = HostArgs::Items(&[0], Pull::All)),
    def!("next", 1, Some(1), next, "All but the first item, or nil when none.", host = HostArgs::Items(&[0], Pull::All)),
    def!("last", 1, Some(1), last, "The last item, or nil.", host = HostArgs::Items(&[0], Pull::All)),
    def!("nth", 2, Some(3), nth, "Item at index i; an error past the end unless a default is given.", host = HostArgs::First(HostOp::Nth)),
    def!("cons", 2, Some(2), cons, "A list with x in front of the items of coll.", host = HostArgs::Items(&[1], Pull::All)),
    def!("conj", 1, None, conj, "Adds items where the collection grows cheaply: front of a list, end of a vector; [k v] pairs to a map.", host = HostArgs::First(HostOp::Conj)),
    def!("concat", 0, None, concat, "A list of the items of all the collections, in order.", host = HostArgs::Items(&[0, 1, 2, 3, 4, 5, 6, 7], Pull::All)),
    def!("get", 2, Some(3), get, "Value at key (maps), index (vectors, strings), or the default (nil).", host = HostArgs::First(HostOp::Get)),
    def!("assoc", 3, None, assoc, "A new map (or vector) with key(s) set to value(s).", host = HostArgs::First(HostOp::Assoc)),
    def!("dissoc", 1, None, dissoc, "A new map without the keys.", host = HostArgs::First(HostOp::Dissoc)),
    def!("keys", 1, Some(1), keys, "The keys of a map, as a list.", host = HostArgs::First(HostOp::Keys)),
    def!("vals", 1, Some(1), vals, "The values of a map, as a list.", host = HostArgs::First(HostOp::Vals)),
    def!("contains?", 2, Some(2), contains, "Has the map this key (the vector this index)?", host = HostArgs::First(HostOp::Contains)),
    def!("empty?", 1, Some(1), is_empty, "True when the collection has no items.", host = HostArgs::Items(&[0], Pull::One)),
    def!("reverse", 1, Some(1), reverse, "The items in reverse order, as a list.", host = HostArgs::Items(&[0], Pull::All)),
    def!("range", 0, Some(3), range, "(range end), (range start end), (range start end step): a list of numbers."),
    def!("take", 2, Some(2), take, "The first n items, as a list.", host = HostArgs::Items(&[1], Pull::FirstArg)),
    def!("drop", 2, Some(2), drop, "All but the first n items, as a list.", host = HostArgs::Iterators(HostOp::Lazy(LazyOp::Drop))),
    def!("sort", 1, Some(1), sort, "The items sorted (numbers, strings), as a list.", host = HostArgs::Items(&[0], Pull::All)),
    def!("zip", 1, None, zip, "Vectors of the items at the same positions (as Python's zip).", host = HostArgs::Items(&[0, 1, 2, 3, 4, 5, 6, 7], Pull::All)),
    defvm!("map", 2, None, map, "Calls f on each item (on items at the same position of several collections); a list of the results.", host = HostArgs::Iterators(HostOp::Lazy(LazyOp::Map))),
    defvm!("mapv", 2, None, mapv, "Like map, giving a vector."),
    defvm!("pool-map", 2, None, pool_map, "(pool-map f coll...): the results of f over the items, in order, as a vector; on the workers backend every call goes out before any is waited for."),
    defvm!("filter", 2, Some(2), filter, "The items for which (pred item) is truthy, as a list.", host = HostArgs::Iterators(HostOp::Lazy(LazyOp::Filter))),
    defvm!("remove", 2, Some(2), remove, "The items for which (pred item) is falsy, as a list.", host = HostArgs::Iterators(HostOp::Lazy(LazyOp::Remove))),
    defvm!("reduce", 2, Some(3), reduce, "(reduce f coll) or (reduce f init coll): folds f over the items."),
    defvm!("apply", 1, None, apply, "(apply f a b [c d]): calls f with a, b and the items of the last argument."),
    defvm!("sort-by", 2, Some(2), sort_by, "The items sorted by (keyfn item), as a list."),
    defvm!("some", 2, Some(2), some, "The first truthy (pred item), or nil."),
    defvm!("every?", 2, Some(2), every, "True when (pred item) is truthy for all items."),
    defvm!("into", 2, Some(2), into, "Adds all items of from to the collection to (as conj does)."),
];

/// The items of a sequence-like value, eagerly. Maps give `[key value]` vectors; strings their
/// characters; nil nothing.
pub fn items(v: &Value, op: &str) -> Result<Vec<Value>, Exn> {
    match v {
        Value::Nil => Ok(Vec::new()),
        Value::List(l) => Ok(l.iter().cloned().collect()),
        Value::Vector(items) => Ok(items.0.clone()),
        Value::Map(m) => Ok(m
            .iter()
            .map(|(k, v)| Value::vector(vec![k.clone(), v.clone()]))
            .collect()),
        Value::Str(s) => Ok(s.chars().map(|c| Value::str(&c.to_string())).collect()),
        Value::Array(b) => Ok((0..b.len())
            .filter_map(|i| b.get(i).map(super::arrays::elem_value))
            .collect()),
        other => Err(want(op, "a collection", other)),
    }
}

fn list(args: &[Value]) -> BuiltinResult {
    Ok(Value::list(args.to_vec()))
}

fn vector(args: &[Value]) -> BuiltinResult {
    Ok(Value::vector(args.to_vec()))
}

fn vec(args: &[Value]) -> BuiltinResult {
    Ok(Value::vector(items(&args[0], "vec")?))
}

fn hash_map(args: &[Value]) -> BuiltinResult {
    if !args.len().is_multiple_of(2) {
        return Err(LispError::new(
            ErrorKind::Value,
            "`hash-map` needs an even number of arguments (key value ...)",
        ));
    }
    let mut m = Map::with_capacity(args.len() / 2);
    for kv in args.chunks(2) {
        m.insert(kv[0].clone(), kv[1].clone());
    }
    Ok(Value::Map(Rc::new(m)))
}

fn count(args: &[Value]) -> BuiltinResult {
    let n = match &args[0] {
        Value::Nil => 0,
        Value::List(l) => l.len(),
        Value::Vector(v) => v.len(),
        Value::Map(m) => m.len(),
        Value::Str(s) => s.chars().count(),
        Value::Array(b) => b.len(),
        other => return Err(want("count", "a collection", other)),
    };
    Ok(Value::Int(n as i64))
}

fn first(args: &[Value]) -> BuiltinResult {
    Ok(match &args[0] {
        Value::List(l) => l.first().cloned().unwrap_or_default(),
        Value::Vector(v) => v.first().cloned().unwrap_or_default(),
        other => items(other, "first")?
            .into_iter()
            .next()
            .unwrap_or_default(),
    })
}

fn rest(args: &[Value]) -> BuiltinResult {
    Ok(match &args[0] {
        Value::List(l) => Value::List(l.rest()),
        other => {
            let all = items(other, "rest")?;
            Value::list(all.into_iter().skip(1).collect())
        }
    })
}

fn next(args: &[Value]) -> BuiltinResult {
    let r = rest(args)?;
    Ok(match &r {
        Value::List(l) if l.is_empty() => Value::Nil,
        _ => r,
    })
}

fn last(args: &[Value]) -> BuiltinResult {
    Ok(match &args[0] {
        Value::Vector(v) => v.last().cloned().unwrap_or_default(),
        other => items(other, "last")?.pop().unwrap_or_default(),
    })
}

fn index_of(v: &Value, len: usize, op: &str) -> Result<Option<usize>, Exn> {
    match v {
        Value::Int(i) if *i >= 0 => Ok((*i as usize) < len).map(|ok| ok.then_some(*i as usize)),
        Value::Int(i) if *i < 0 => Ok(None),
        other => Err(want(op, "an integer index", other)),
    }
}

fn nth(args: &[Value]) -> BuiltinResult {
    let all = match &args[0] {
        Value::Vector(v) => v.clone(),
        other => Rc::new(crate::runtime::value::Items(items(other, "nth")?)),
    };
    match index_of(&args[1], all.len(), "nth")? {
        Some(i) => Ok(all[i].clone()),
        None => match args.get(2) {
            Some(d) => Ok(d.clone()),
            None => Err(LispError::new(
                ErrorKind::Index,
                format!(
                    "index {} out of range for {} of {} item(s)",
                    crate::runtime::printer::readable(&args[1]),
                    args[0].type_name(),
                    all.len()
                ),
            )),
        },
    }
}

fn cons(args: &[Value]) -> BuiltinResult {
    let tail = match &args[1] {
        Value::List(l) => l.clone(),
        other => List::from_vec(items(other, "cons")?),
    };
    Ok(Value::List(List::cons(args[0].clone(), tail)))
}

fn conj_one(mut coll: Value, x: Value) -> Result<Value, Exn> {
    // Updated in place when this is the only reference (amortised O(1) in a loop).
    match &mut coll {
        Value::Nil => return Ok(Value::List(List::cons(x, List::empty()))),
        Value::List(l) => return Ok(Value::List(List::cons(x, l.clone()))),
        Value::Vector(v) => {
            Rc::make_mut(v).push(x);
        }
        Value::Map(m) => {
            let pair = x
                .as_seq()
                .filter(|p| p.len() == 2)
                .ok_or_else(|| want("conj", "a [key value] pair to add to a map", &x))?;
            let mut pair = pair.into_iter();
            let (k, v) = (
                pair.next().unwrap_or_default(),
                pair.next().unwrap_or_default(),
            );
            Rc::make_mut(m).insert(k, v);
        }
        other => return Err(want("conj", "a collection", other)),
    }
    Ok(coll)
}

fn conj(args: &[Value]) -> BuiltinResult {
    let mut coll = args[0].clone();
    for x in &args[1..] {
        coll = conj_one(coll, x.clone())?;
    }
    Ok(coll)
}

fn concat(args: &[Value]) -> BuiltinResult {
    let mut out = Vec::new();
    for a in args {
        out.extend(items(a, "concat")?);
    }
    Ok(Value::list(out))
}

/// `(get coll key default?)` on Lisp collections.
pub fn get(args: &[Value]) -> BuiltinResult {
    let default = args.get(2).cloned().unwrap_or_default();
    Ok(match &args[0] {
        Value::Map(m) => m.get(&args[1]).cloned().unwrap_or(default),
        Value::Vector(v) => match &args[1] {
            Value::Int(i) if *i >= 0 && (*i as usize) < v.len() => v[*i as usize].clone(),
            _ => default,
        },
        Value::Str(s) => match &args[1] {
            Value::Int(i) if *i >= 0 => s
                .chars()
                .nth(*i as usize)
                .map_or(default, |c| Value::str(&c.to_string())),
            _ => default,
        },
        Value::List(l) => match &args[1] {
            Value::Int(i) if *i >= 0 => l.iter().nth(*i as usize).cloned().unwrap_or(default),
            _ => default,
        },
        _ => default,
    })
}

fn assoc(args: &[Value]) -> BuiltinResult {
    if args.len() % 2 != 1 {
        return Err(LispError::new(
            ErrorKind::Arity,
            "`assoc` takes a collection and key value pairs",
        ));
    }
    match &args[0] {
        Value::Nil | Value::Map(_) => {
            let mut m = match &args[0] {
                Value::Map(m) => m.clone(),
                _ => Rc::new(Map::new()),
            };
            let mm = Rc::make_mut(&mut m);
            for kv in args[1..].chunks(2) {
                mm.insert(kv[0].clone(), kv[1].clone());
            }
            Ok(Value::Map(m))
        }
        Value::Vector(v) => {
            let mut v = v.clone();
            let vv = Rc::make_mut(&mut v);
            for kv in args[1..].chunks(2) {
                match &kv[0] {
                    Value::Int(i) if *i >= 0 && (*i as usize) < vv.len() => {
                        vv[*i as usize] = kv[1].clone()
                    }
                    Value::Int(i) if *i >= 0 && (*i as usize) == vv.len() => vv.push(kv[1].clone()),
                    other => {
                        return Err(LispError::new(
                            ErrorKind::Index,
                            format!(
                                "index {} out of range for `assoc` on a vector of {} item(s)",
                                crate::runtime::printer::readable(other),
                                vv.len()
                            ),
                        ))
                    }
                }
            }
            Ok(Value::Vector(v))
        }
        other => Err(want("assoc", "a map or a vector", other)),
    }
}

fn dissoc(args: &[Value]) -> BuiltinResult {
    match &args[0] {
        Value::Nil => Ok(Value::Nil),
        Value::Map(m) => {
            let mut m = m.clone();
            let mm = Rc::make_mut(&mut m);
            for k in &args[1..] {
                mm.shift_remove(k);
            }
            Ok(Value::Map(m))
        }
        other => Err(want("dissoc", "a map", other)),
    }
}

fn keys(args: &[Value]) -> BuiltinResult {
    match &args[0] {
        Value::Nil => Ok(Value::Nil),
        Value::Map(m) => Ok(Value::list(m.keys().cloned().collect())),
        other => Err(want("keys", "a map", other)),
    }
}

fn vals(args: &[Value]) -> BuiltinResult {
    match &args[0] {
        Value::Nil => Ok(Value::Nil),
        Value::Map(m) => Ok(Value::list(m.values().cloned().collect())),
        other => Err(want("vals", "a map", other)),
    }
}

fn contains(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(match &args[0] {
        Value::Nil => false,
        Value::Map(m) => m.contains_key(&args[1]),
        Value::Vector(v) => matches!(&args[1], Value::Int(i) if *i >= 0 && (*i as usize) < v.len()),
        Value::Str(s) => match &args[1] {
            Value::Str(sub) => s.contains(sub.as_str()),
            _ => false,
        },
        other => return Err(want("contains?", "a map, vector or string", other)),
    }))
}

fn is_empty(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(match &args[0] {
        Value::Nil => true,
        Value::List(l) => l.is_empty(),
        Value::Vector(v) => v.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Str(s) => s.is_empty(),
        other => return Err(want("empty?", "a collection", other)),
    }))
}

fn reverse(args: &[Value]) -> BuiltinResult {
    let mut all = items(&args[0], "reverse")?;
    all.reverse();
    Ok(Value::list(all))
}

/// Largest list `range` builds eagerly.
const MAX_RANGE: i64 = 100_000_000;

fn range(args: &[Value]) -> BuiltinResult {
    use num_bigint::BigInt;
    use num_traits::{Signed, ToPrimitive, Zero};
    // Any integer, as Python's `range` takes; a float is a type error there too.
    let int = |v: &Value| match v {
        Value::Int(i) => Ok(BigInt::from(*i)),
        Value::Big(b) => Ok((**b).clone()),
        Value::Float(_) => Err(
            want("range", "integers (a float is not a count)", v).with_help(
                "convert it first: (range (int x)); floats like 1e21 read as floats, not integers",
            ),
        ),
        other => Err(want("range", "integers", other)),
    };
    let (start, end, step) = match args.len() {
        0 => {
            return Err(
                LispError::new(ErrorKind::Value, "(range) without an end would be endless")
                    .with_help(
                        "give an end: (range 10), or use loop/recur for an open-ended count",
                    ),
            )
        }
        1 => (BigInt::zero(), int(&args[0])?, BigInt::from(1)),
        2 => (int(&args[0])?, int(&args[1])?, BigInt::from(1)),
        _ => (int(&args[0])?, int(&args[1])?, int(&args[2])?),
    };
    if step.is_zero() {
        return Err(LispError::new(
            ErrorKind::Value,
            "`range` step must not be zero",
        ));
    }
    let forward = step.is_positive();
    let n = if (forward && start >= end) || (!forward && start <= end) {
        BigInt::zero()
    } else {
        let span = (&end - &start).abs();
        let stride = step.abs();
        (span + &stride - 1u8) / stride
    };
    if n > BigInt::from(MAX_RANGE) {
        return Err(LispError::new(
            ErrorKind::Value,
            format!("`range` of {n} items is too large to build (limit {MAX_RANGE})"),
        )
        .with_help("use loop/recur or dotimes to count without building a list"));
    }
    let n = n.to_usize().expect("at most MAX_RANGE");
    let mut out = Vec::with_capacity(n);
    match (start.to_i64(), step.to_i64(), (&start + &step * n).to_i64()) {
        // Every item fits in an i64 (the one past the end bounds them all).
        (Some(mut i), Some(step), Some(_)) => {
            for _ in 0..n {
                out.push(Value::Int(i));
                i = i.wrapping_add(step);
            }
        }
        _ => {
            let mut i = start;
            for _ in 0..n {
                out.push(Value::from_bigint(i.clone()));
                i += &step;
            }
        }
    }
    Ok(Value::list(out))
}

fn count_arg(v: &Value, op: &str) -> Result<usize, Exn> {
    match v {
        Value::Int(i) => Ok((*i).max(0) as usize),
        other => Err(want(op, "a count (integer)", other)),
    }
}

fn take(args: &[Value]) -> BuiltinResult {
    let n = count_arg(&args[0], "take")?;
    let all = items(&args[1], "take")?;
    Ok(Value::list(all.into_iter().take(n).collect()))
}

fn drop(args: &[Value]) -> BuiltinResult {
    let n = count_arg(&args[0], "drop")?;
    Ok(match &args[1] {
        Value::List(l) => {
            let mut l = l.clone();
            for _ in 0..n {
                l = l.rest();
            }
            Value::List(l)
        }
        other => Value::list(items(other, "drop")?.into_iter().skip(n).collect()),
    })
}

fn sort_values(v: &mut [Value], op: &str) -> Result<(), Exn> {
    let mut err = None;
    v.sort_by(|a, b| {
        super::compare(a, b).unwrap_or_else(|e| {
            err.get_or_insert(e);
            std::cmp::Ordering::Equal
        })
    });
    match err {
        Some(e) => Err(LispError::new(
            ErrorKind::Type,
            format!("`{op}`: {}", e.message),
        )),
        None => Ok(()),
    }
}

fn sort(args: &[Value]) -> BuiltinResult {
    let mut all = items(&args[0], "sort")?;
    sort_values(&mut all, "sort")?;
    Ok(Value::list(all))
}

fn zip(args: &[Value]) -> BuiltinResult {
    let cols: Vec<Vec<Value>> = args
        .iter()
        .map(|a| items(a, "zip"))
        .collect::<Result<_, _>>()?;
    let n = cols.iter().map(Vec::len).min().unwrap_or(0);
    Ok(Value::list(
        (0..n)
            .map(|i| Value::vector(cols.iter().map(|c| c[i].clone()).collect()))
            .collect(),
    ))
}

/// The calls of `f` over the collections, all made before any result is waited for: on a
/// pipelining backend the Python calls among them go out together (results in order).
fn map_items(vm: &mut Vm, args: Vec<Value>, op: &str) -> Result<Vec<Value>, Exn> {
    let f = &args[0];
    if args.len() == 2 {
        // One collection (the common case): each item straight onto the stack; a Lisp list or
        // vector walked in place.
        let mut out = Vec::new();
        if args[1].is_host() {
            for x in vm.seq_items(&args[1], op)? {
                out.push(vm.apply1_pending(f, x)?);
            }
        } else {
            vm.each_item(&args[1], op, |vm, x| {
                out.push(vm.apply1_pending(f, x)?);
                Ok(true)
            })?;
        }
        return out.into_iter().map(|v| vm.resolved(v)).collect();
    }
    let cols: Vec<Vec<Value>> = args[1..]
        .iter()
        .map(|a| vm.seq_items(a, op))
        .collect::<Result<_, _>>()?;
    let n = cols.iter().map(Vec::len).min().unwrap_or(0);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let call_args = cols.iter().map(|c| c[i].clone()).collect();
        out.push(vm.apply_pending(f, call_args)?);
    }
    out.into_iter().map(|v| vm.resolved(v)).collect()
}

/// `(pool-map f coll...)`: the results of `f` over the collections, as a vector, in order. Every
/// call is made before any result is waited for; with workers, item i's Python calls go to
/// worker i mod N (a Lisp `f` returning a pending call returns it unawaited). In-process, the
/// calls run in order.
fn pool_map(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let host = vm.host.clone();
    let Some(workers) = host.worker_count().filter(|n| *n > 1) else {
        return Ok(Value::vector(map_items(vm, args, "pool-map")?));
    };
    let f = &args[0];
    let cols: Vec<Vec<Value>> = args[1..]
        .iter()
        .map(|a| vm.seq_items(a, "pool-map"))
        .collect::<Result<_, _>>()?;
    let n = cols.iter().map(Vec::len).min().unwrap_or(0);
    let outer = host.pin_worker(Some(0));
    // A Python callable goes to every worker before the first item occupies its own.
    host.spread(vm, f);
    let was_spreading = std::mem::replace(&mut vm.spreading, true);
    let mut out = Vec::with_capacity(n);
    let mut failed = None;
    for i in 0..n {
        host.pin_worker(Some(i % workers));
        let call_args = cols.iter().map(|c| c[i].clone()).collect();
        match vm.apply_pending(f, call_args) {
            Ok(v) => out.push(v),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    vm.spreading = was_spreading;
    host.pin_worker(outer);
    if let Some(e) = failed {
        return Err(e);
    }
    let items: Vec<Value> = out
        .into_iter()
        .map(|v| vm.resolved(v))
        .collect::<Result<_, _>>()?;
    Ok(Value::vector(items))
}

fn map(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    Ok(Value::list(map_items(vm, args, "map")?))
}

fn mapv(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    Ok(Value::vector(map_items(vm, args, "map")?))
}

fn select(vm: &mut Vm, args: Vec<Value>, keep: bool, op: &str) -> BuiltinResult {
    let mut out = Vec::new();
    let (f, coll) = (&args[0], &args[1]);
    if coll.is_host() {
        // A Python collection: its items fetched at once, as before any call is made.
        for x in vm.seq_items(coll, op)? {
            if vm.apply1(f, x.clone())?.truthy() == keep {
                out.push(x);
            }
        }
    } else {
        vm.each_item(coll, op, |vm, x| {
            if vm.apply1(f, x.clone())?.truthy() == keep {
                out.push(x);
            }
            Ok(true)
        })?;
    }
    Ok(Value::list(out))
}

fn filter(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    select(vm, args, true, "filter")
}

fn remove(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    select(vm, args, false, "remove")
}

fn reduce(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let f = &args[0];
    // Items one at a time (from a Python iterator, pulled only as the fold goes).
    let (mut acc, coll) = if args.len() == 3 {
        (Some(args[1].clone()), &args[2])
    } else {
        (None, &args[1])
    };
    vm.each_item(coll, "reduce", |vm, x| {
        acc = Some(match acc.take() {
            None => x,
            Some(a) => vm.apply2(f, a, x)?,
        });
        Ok(true)
    })?;
    match acc {
        Some(a) => Ok(a),
        None => vm.apply(f, vec![]),
    }
}

fn apply(vm: &mut Vm, mut args: Vec<Value>) -> BuiltinResult {
    let f = args.remove(0);
    if let Some(last) = args.pop() {
        let spread = vm.seq_items(&last, "apply")?;
        args.extend(spread);
    }
    vm.apply(&f, args)
}

fn sort_by(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let all = vm.seq_items(&args[1], "sort-by")?;
    let mut keyed = Vec::with_capacity(all.len());
    for x in all {
        keyed.push((vm.apply1(&args[0], x.clone())?, x));
    }
    let mut err = None;
    keyed.sort_by(|a, b| {
        super::compare(&a.0, &b.0).unwrap_or_else(|e| {
            err.get_or_insert(e);
            std::cmp::Ordering::Equal
        })
    });
    if let Some(e) = err {
        return Err(e);
    }
    Ok(Value::list(keyed.into_iter().map(|(_, x)| x).collect()))
}

fn some(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let mut found = Value::Nil;
    vm.each_item(&args[1], "some", |vm, x| {
        let r = vm.apply1(&args[0], x)?;
        let stop = r.truthy();
        if stop {
            found = r;
        }
        Ok(!stop)
    })?;
    Ok(found)
}

fn every(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let mut all = true;
    vm.each_item(&args[1], "every?", |vm, x| {
        all = vm.apply1(&args[0], x)?.truthy();
        Ok(all)
    })?;
    Ok(Value::Bool(all))
}

fn into(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let mut coll = args[0].clone();
    for x in vm.seq_items(&args[1], "into")? {
        coll = conj_one(coll, x)?;
    }
    Ok(coll)
}

/// Collections called as functions: `(:k m)`, `(m :k)`, `(v 0)`.
pub fn call_collection(callee: &Value, args: &[Value]) -> BuiltinResult {
    if args.is_empty() || args.len() > 2 {
        return Err(LispError::new(
            ErrorKind::Arity,
            format!(
                "{} called as a function takes 1 or 2 arguments, got {}",
                callee.type_name(),
                args.len()
            ),
        ));
    }
    match callee {
        Value::Keyword(_) => {
            let mut a = vec![args[0].clone(), callee.clone()];
            a.extend(args.get(1).cloned());
            get(&a)
        }
        Value::Map(_) | Value::Vector(_) => {
            let mut a = vec![callee.clone(), args[0].clone()];
            a.extend(args.get(1).cloned());
            if let (Value::Vector(v), Value::Int(i), None) = (callee, &args[0], args.get(1)) {
                if *i < 0 || *i as usize >= v.len() {
                    return Err(LispError::new(
                        ErrorKind::Index,
                        format!("index {i} out of range for a vector of {} item(s)", v.len()),
                    ));
                }
            }
            get(&a)
        }
        other => Err(LispError::new(
            ErrorKind::Type,
            format!("{} is not callable", type_and_preview(other)),
        )),
    }
}
