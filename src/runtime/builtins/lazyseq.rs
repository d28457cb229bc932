//! More sequence functions: `keep`, `take-while`, `drop-while`, `mapcat`, `partition`. On Lisp
//! collections they are eager (a list); on a Python iterator they stay lazy, as `map` and
//! `filter` do (the host makes a Python iterator that pulls only as it is pulled).

use super::defvm;
use crate::runtime::error::Exn;
use crate::runtime::value::{Builtin, BuiltinResult, HostArgs, HostOp, LazyOp, Value};
use crate::runtime::Vm;

pub static BUILTINS: &[Builtin] = &[
    defvm!(
        "keep",
        2,
        Some(2),
        keep,
        "The non-nil results of (f item), as a list.",
        host = HostArgs::Iterators(HostOp::Lazy(LazyOp::Keep))
    ),
    defvm!(
        "take-while",
        2,
        Some(2),
        take_while,
        "The items before the first for which (pred item) is falsy, as a list.",
        host = HostArgs::Iterators(HostOp::Lazy(LazyOp::TakeWhile))
    ),
    defvm!(
        "drop-while",
        2,
        Some(2),
        drop_while,
        "The items from the first for which (pred item) is falsy, as a list.",
        host = HostArgs::Iterators(HostOp::Lazy(LazyOp::DropWhile))
    ),
    defvm!(
        "mapcat",
        2,
        None,
        mapcat,
        "The items of the collections (f item...) returns, concatenated, as a list.",
        host = HostArgs::Iterators(HostOp::Lazy(LazyOp::Mapcat))
    ),
    defvm!(
        "partition",
        2,
        Some(2),
        partition,
        "(partition n coll): the items in lists of n (a last, shorter one is dropped).",
        host = HostArgs::Iterators(HostOp::Lazy(LazyOp::Partition))
    ),
];

fn keep(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let mut out = Vec::new();
    for x in vm.seq_items(&args[1], "keep")? {
        let y = vm.apply1(&args[0], x)?;
        if !matches!(y, Value::Nil) {
            out.push(y);
        }
    }
    Ok(Value::list(out))
}

fn take_while(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let mut out = Vec::new();
    for x in vm.seq_items(&args[1], "take-while")? {
        if !vm.apply1(&args[0], x.clone())?.truthy() {
            break;
        }
        out.push(x);
    }
    Ok(Value::list(out))
}

fn drop_while(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let items = vm.seq_items(&args[1], "drop-while")?;
    let mut start = items.len();
    for (i, x) in items.iter().enumerate() {
        if !vm.apply1(&args[0], x.clone())?.truthy() {
            start = i;
            break;
        }
    }
    Ok(Value::list(items[start..].to_vec()))
}

fn mapcat(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let colls = args[1..]
        .iter()
        .map(|c| vm.seq_items(c, "mapcat"))
        .collect::<Result<Vec<_>, Exn>>()?;
    let n = colls.iter().map(Vec::len).min().unwrap_or(0);
    let mut out = Vec::new();
    for i in 0..n {
        let call_args = colls.iter().map(|c| c[i].clone()).collect();
        let part = vm.apply(&args[0], call_args)?;
        out.extend(vm.seq_items(&part, "mapcat")?);
    }
    Ok(Value::list(out))
}

fn partition(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let n = match &args[0] {
        Value::Int(n) if *n > 0 => *n as usize,
        other => return Err(super::want("partition", "a positive size", other)),
    };
    let items = vm.seq_items(&args[1], "partition")?;
    Ok(Value::list(
        items
            .chunks_exact(n)
            .map(|c| Value::list(c.to_vec()))
            .collect(),
    ))
}
