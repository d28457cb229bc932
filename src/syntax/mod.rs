//! Syntax: from read forms to the core AST. Macro expansion, special forms, quasiquote, and
//! symbol resolution (locals, captures, globals) all happen here; `compile` only lays out code.

pub mod analyze;
pub mod convert;
pub mod destructure;
pub mod expr;
pub mod py;
pub mod quasi;

pub use analyze::{analyze, macroexpand_1};
pub use expr::Analysis;
