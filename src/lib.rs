//! polyglot: an interactive REPL and Lisp front-end for Python.
//!
//! The pipeline, one module a stage (imports point one way, left to right):
//!
//! ```text
//! cli → repl → engine → compile → syntax → reader → source
//!                         └──────────┴──→ runtime (values, VM, builtins) → bridge (Python)
//! ```
//!
//! - [`reader`]: text to [`reader::Datum`]s with spans; incomplete vs wrong input.
//! - [`syntax`]: macro expansion, special forms, symbol resolution → core AST.
//! - [`compile`]: core AST → Rust closures with lexical addressing.
//! - [`runtime`]: [`Value`], the VM (calls, tail calls, depth guard), errors, builtins.
//! - [`diagnostics`]: errors rendered with miette, pointing at the source.
//! - [`engine`]: the facade the REPL and CLI use: sources + VM + prelude.
//! - [`repl`], [`cli`]: the user-facing programs.

pub mod bench;
pub mod bridge;
pub mod cli;
pub mod compile;
pub mod diagnostics;
pub mod engine;
pub mod reader;
pub mod repl;
pub mod runtime;
pub mod source;
pub mod syntax;

pub use engine::Engine;
pub use runtime::error::LispError as Error;
pub use runtime::value::Value;
