//! Reading and writing variables: constants, locals (frame slots or captures, plain or in a
//! shared cell), globals, `set!` of either, and `def` / `defmacro`.

use super::{deref, Access, Gen};
use crate::runtime::error::{ErrorKind, LispError};
use crate::runtime::function::Code;
use crate::runtime::value::Value;
use crate::source::Span;
use crate::syntax::expr::{BindingId, Expr, FnExpr, GlobalId};
use std::rc::Rc;

impl Gen<'_> {
    pub(super) fn constant(&self, v: &Value) -> Code {
        let v = v.clone();
        Box::new(move |_, _| Ok(v.clone()))
    }

    pub(super) fn local(&self, b: BindingId) -> Code {
        match self.access(b) {
            Access::Slot(s, false) => Box::new(move |vm, f| Ok(vm.stack[f.base + s].clone())),
            Access::Slot(s, true) => Box::new(move |vm, f| Ok(deref(&vm.stack[f.base + s]))),
            Access::Capture(i, false) => Box::new(move |_, f| Ok(f.captures[i].clone())),
            Access::Capture(i, true) => Box::new(move |_, f| Ok(deref(&f.captures[i]))),
        }
    }

    pub(super) fn global(&self, id: GlobalId, span: Span) -> Code {
        Box::new(move |vm, _| match &vm.globals[id] {
            Value::Unbound => Err(vm.unbound_error(id, span)),
            v => Ok(v.clone()),
        })
    }

    pub(super) fn set_local(&self, b: BindingId, value: &Expr) -> Code {
        let value = self.expr(value);
        match self.access(b) {
            Access::Slot(s, false) => Box::new(move |vm, f| {
                let v = value(vm, f)?;
                vm.stack[f.base + s] = v.clone();
                Ok(v)
            }),
            Access::Slot(s, true) => Box::new(move |vm, f| {
                let v = value(vm, f)?;
                if let Value::Cell(c) = &vm.stack[f.base + s] {
                    *c.borrow_mut() = v.clone();
                    crate::runtime::cycles::note_cell_write(c, &v);
                }
                Ok(v)
            }),
            Access::Capture(i, _) => Box::new(move |vm, f| {
                let v = value(vm, f)?;
                if let Value::Cell(c) = &f.captures[i] {
                    *c.borrow_mut() = v.clone();
                    crate::runtime::cycles::note_cell_write(c, &v);
                }
                Ok(v)
            }),
        }
    }

    pub(super) fn set_global(&self, id: GlobalId, value: &Expr, span: Span) -> Code {
        let value = self.expr(value);
        Box::new(move |vm, f| {
            let v = value(vm, f)?;
            if matches!(vm.globals[id], Value::Unbound) {
                let name = vm.global_name(id);
                return Err(LispError::new(
                    ErrorKind::Unbound,
                    format!("cannot `set!` `{name}`: it is not defined"),
                )
                .with_help(format!("define it first with (def {name} ...)"))
                .at(span));
            }
            vm.globals[id] = v.clone();
            Ok(v)
        })
    }

    pub(super) fn def(&self, id: GlobalId, value: &Expr) -> Code {
        let value = self.expr(value);
        Box::new(move |vm, f| {
            let v = value(vm, f)?;
            vm.globals[id] = v;
            Ok(Value::symbol(vm.global_name(id)))
        })
    }

    pub(super) fn defmacro(&self, id: GlobalId, fe: &Rc<FnExpr>) -> Code {
        let make = self.closure(fe);
        Box::new(move |vm, f| {
            let Value::Func(ref c) = make(vm, f)? else {
                unreachable!("closure() makes functions")
            };
            vm.globals[id] = Value::Macro(c.clone());
            Ok(Value::symbol(vm.global_name(id)))
        })
    }
}
