//! polyglot: an interactive REPL and Lisp front-end for Python.
//!
//! The layers, bottom to top (each imports only from layers below it; `tests/layering.rs`
//! enforces this):
//!
//! ```text
//! source, symbol, buffer, ids, stack,  leaves: spans, interned names, typed memory, handle ids,
//! clock                                a clock that also works on wasm32
//! reader                               text → Datum with spans
//! bridge                               chain IR, Backend trait, handles, backends + factory
//! runtime                              Value, VM, errors, printer, core builtins, Host trait
//! syntax → compile                     macros and special forms → closures
//! interop                              the Lisp side of Python: implements runtime's Host
//! diagnostics                          errors rendered with miette
//! engine                               the facade: sources + VM + interop + output; eval
//! repl, bench, kernel, cli, signals    front-ends (features `repl`, `kernel`, `cli`, `signals`)
//! ```
//!
//! - [`reader`]: text to [`reader::Datum`]s with spans; incomplete vs wrong input.
//! - [`syntax`]: macro expansion, special forms, symbol resolution → core AST.
//! - [`compile`]: core AST → Rust closures with lexical addressing.
//! - [`runtime`]: [`Value`], the VM (calls, tail calls, depth guard), errors, builtins; it
//!   reaches Python only through [`runtime::host::Host`].
//! - [`interop`]: handles, lazy chains, call-site caches, conversions to the chain IR.
//! - [`bridge`]: the chain IR ([`bridge::ir`]), the [`bridge::backend::Backend`] trait and the
//!   backends (embedded CPython through pyo3).
//! - [`engine`]: the facade every front-end uses: [`Engine::eval`] returns an
//!   [`EvalOutput`]; all output goes through the engine's sink.
//!
//! # Embedding
//!
//! ```
//! use polyglot::{Engine, EngineConfig, Recorder, Stream};
//! use std::sync::Arc;
//!
//! let mut engine = Engine::new(EngineConfig::default()).expect("the prelude loads");
//! let out = Arc::new(Recorder::default());
//! engine.set_output(out.clone());
//! let result = engine.eval(
//!     "<doc>",
//!     r#"(println "hello from Lisp")
//!        (py-exec "print('hello from Python')")
//!        (let [m ($py "math")] (m.sqrt 16))"#,
//! );
//! assert_eq!(result.printed.as_deref(), Some("4.0"));
//! assert_eq!(
//!     out.text(Stream::Stdout),
//!     "hello from Lisp\nhello from Python\n"
//! );
//! ```

pub mod buffer;
pub mod clock;
pub mod ids;
pub mod source;
pub mod stack;
pub mod symbol;

pub mod bridge;
pub mod reader;
pub mod runtime;

pub mod compile;
pub mod syntax;

pub mod diagnostics;
pub mod engine;
pub mod interop;

#[cfg(feature = "cli")]
pub mod bench;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(all(unix, feature = "kernel"))]
pub mod kernel;
#[cfg(feature = "repl")]
pub mod repl;
#[cfg(all(unix, feature = "signals"))]
pub mod signals;

pub use engine::{Engine, EngineConfig, EvalOutput, Show, Timing};
pub use runtime::error::LispError as Error;
pub use runtime::output::{Output, Recorder, StdStreams, Stream};
pub use runtime::value::Value;

/// The book's Rust examples (the "Embedding polyglot" chapter) run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../book/src/embedding.md")]
pub struct BookEmbedding;
