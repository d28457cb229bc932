//! The core AST that the analyzer produces and the compiler consumes. Macros are expanded,
//! special forms recognised, and every variable already resolved to a local binding or a global
//! slot. Spans stay on the nodes that can fail.

use crate::runtime::value::Value;
use crate::source::Span;
use crate::symbol::Sym;
use std::rc::Rc;

/// Index into [`Analysis::bindings`].
pub type BindingId = usize;
/// Index into the VM's global table.
pub type GlobalId = usize;
/// Index into [`Analysis::fns`]; 0 is the top-level form itself.
pub type FnId = usize;

pub enum Expr {
    Const(Value),
    Local(BindingId, Span),
    Global(GlobalId, Span),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Do(Vec<Expr>),
    Def(GlobalId, Box<Expr>, Span),
    /// Sequential bindings (each sees the ones before), then the body.
    Let(Vec<(BindingId, Expr)>, Box<Expr>),
    Fn(Rc<FnExpr>),
    /// `(defmacro ...)`: the expander function, stored as a macro in a global.
    DefMacro(GlobalId, Rc<FnExpr>, Span),
    SetLocal(BindingId, Box<Expr>, Span),
    SetGlobal(GlobalId, Box<Expr>, Span),
    Call(Box<Call>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Try(Box<TryExpr>),
    Loop(Box<LoopExpr>),
    /// Rebinds the innermost loop's (or function's) bindings and jumps back.
    Recur(Vec<BindingId>, Vec<Expr>, Span),
    /// `(. target a b)`: a lazy Python attribute chain (runs when called, printed, converted).
    Attr(Box<Expr>, Vec<String>, Span),
    /// `(set! (. target a b) value)`: `setattr(target.a, "b", value)`.
    SetAttr(Box<Expr>, Vec<String>, Box<Expr>, Span),
    /// `(set! (get target key) value)`: `target[key] = value`.
    SetItem(Box<Expr>, Box<Expr>, Box<Expr>, Span),
    /// `(del (get target key))`: `del target[key]`.
    DelItem(Box<Expr>, Box<Expr>, Span),
    /// `(del (. target a b))`: `delattr(target.a, "b")`.
    DelAttr(Box<Expr>, Vec<String>, Span),
    /// `(batch forms...)`: like `do`, with every Python request inside under one GIL hold.
    Batch(Box<Expr>),
}

pub struct Call {
    pub callee: Expr,
    pub args: Vec<Expr>,
    pub span: Span,
    /// In tail position: the call replaces the current frame instead of growing the stack.
    pub tail: bool,
}

pub struct TryExpr {
    pub body: Expr,
    pub catches: Vec<Catch>,
    pub finally: Option<Expr>,
    pub span: Span,
}

pub struct Catch {
    /// `(catch ValueError e ...)` only catches errors whose `error-type` is this name.
    pub type_name: Option<String>,
    pub binding: BindingId,
    pub body: Expr,
}

pub struct LoopExpr {
    pub bindings: Vec<(BindingId, Expr)>,
    pub body: Expr,
}

pub struct FnExpr {
    pub id: FnId,
    pub name: Option<Sym>,
    pub params: Vec<BindingId>,
    pub rest: Option<BindingId>,
    pub body: Expr,
    pub span: Span,
    /// The body contains a `recur` aimed at the function itself (not at a `loop`).
    pub self_recur: bool,
}

/// What the analyzer learned about one binding, read by the compiler.
#[derive(Debug, Clone)]
pub struct BindingInfo {
    pub name: Sym,
    pub owner: FnId,
    pub slot: usize,
    /// Some closure refers to it.
    pub captured: bool,
    /// Someone `set!`s it.
    pub mutated: bool,
}

impl BindingInfo {
    /// Captured and mutated bindings live in a shared cell so every closure sees each write.
    pub fn boxed(&self) -> bool {
        self.captured && self.mutated
    }
}

/// Per-function facts: how many slots its frame needs and what it captures from outside.
#[derive(Debug, Clone, Default)]
pub struct FnInfo {
    pub parent: Option<FnId>,
    pub frame_size: usize,
    /// Bindings of enclosing functions this function uses, in capture-index order.
    pub captures: Vec<BindingId>,
}

/// One analyzed top-level form.
pub struct Analysis {
    pub expr: Expr,
    pub bindings: Vec<BindingInfo>,
    pub fns: Vec<FnInfo>,
    pub span: Span,
}
