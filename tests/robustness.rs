//! No input a user can type makes polyglot panic or crash. Thousands of random programs — built
//! from the language's own vocabulary, plus raw reader noise — are read, evaluated and their
//! errors rendered in-process; every one must end in a value or a diagnostic. A watchdog thread
//! raises the interrupt flag regularly, so a generated endless loop ends as `KeyboardInterrupt`.

use polyglot::diagnostics::RenderOptions;
use polyglot::Engine;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A small deterministic generator (no dependency needed for reproducible noise).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const WORDS: &[&str] = &[
    "+",
    "-",
    "*",
    "/",
    "mod",
    "=",
    "<",
    ">",
    "<=",
    ">=",
    "not",
    "str",
    "count",
    "first",
    "rest",
    "cons",
    "conj",
    "list",
    "vector",
    "hash-map",
    "get",
    "assoc",
    "map",
    "filter",
    "reduce",
    "range",
    "take",
    "apply",
    "type-of",
    "gensym",
    "if",
    "do",
    "def",
    "let",
    "fn",
    "defn",
    "defmacro",
    "set!",
    "and",
    "or",
    "when",
    "unless",
    "cond",
    "try",
    "catch",
    "finally",
    "throw",
    "error-type",
    "error-message",
    "quote",
    "quasiquote",
    "unquote",
    "dotimes",
    "->",
    "->>",
    "inc",
    "dec",
    "nth",
    "last",
    "reverse",
    "sort",
    "vec",
    "concat",
    "keys",
    "vals",
    "macroexpand",
    "eval",
    "read-string",
    "x",
    "y",
    "f",
    "e",
    "&",
    "float32array",
    "aget",
    "aset!",
    "alength",
    "subs",
    "join",
    "split",
    "pow",
    "max",
    "min",
    "abs",
    "int",
    "float",
    "nil",
    "true",
    "false",
    ":k",
    ":a",
    "\"s\"",
    "0",
    "1",
    "2",
    "-1",
    "3.5",
    "1e3",
    "99999999999999999999",
    "[]",
    "{}",
    "()",
];

fn form(r: &mut Rng, depth: usize) -> String {
    form_from(r, depth, WORDS)
}

fn form_from(r: &mut Rng, depth: usize, words: &[&str]) -> String {
    if depth == 0 || r.below(3) == 0 {
        return r.pick(words).to_string();
    }
    let n = r.below(5);
    let items: Vec<String> = (0..n).map(|_| form_from(r, depth - 1, words)).collect();
    let (open, close) = match r.below(6) {
        0 => ("[", "]"),
        1 => ("{", "}"),
        2 => ("'(", ")"),
        _ => ("(", ")"),
    };
    format!("{open}{}{close}", items.join(" "))
}

/// Python interop vocabulary: modules, attribute access, conversions and Python values of many
/// kinds (callables, iterators, errors) flowing through the Lisp builtins.
const PY_WORDS: &[&str] = &[
    "($py \"math\")",
    "($py \"builtins\")",
    "($py \"nope_module\")",
    "(. ($py \"math\") pi)",
    "(. ($py \"math\") sqrt)",
    "(. ($py \"builtins\") len)",
    "(. ($py \"builtins\") nope)",
    "(py-eval \"1/0\")",
    "(py-eval \"[1, 2, (3, 4)]\")",
    "(py-eval \"{'a': [1]}\")",
    "(py-eval \"iter([1, 2])\")",
    "(py-eval \"object()\")",
    "(py-eval \"lambda *a: a\")",
    "(py-eval \"None\")",
    "(py-eval \"b'xy'\")",
    "(py-eval \"range(4)\")",
    "(py-eval \"3.5\")",
    "(py-eval \"2**100\")",
    "(py-eval \"int\")",
    "(py-eval \"'s'\")",
    "(py-exec \"x = 1\")",
    "->lisp",
    "->py",
    "py-handles",
    "await",
    "py-call",
    "get",
    "count",
    "first",
    "take",
    "map",
    "str",
    "println",
    "type-of",
    "=",
    "+",
    "(float64array [1 2])",
    "as-nd",
    "aget",
    "\"float64\"",
    "[2]",
    "[1 2]",
    "1",
    "0",
    "nil",
    ":k",
    "(fn (x) x)",
    "inc",
    "vec",
    "sort",
];

const NOISE: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "'",
    "`",
    ",",
    ",@",
    "#_",
    "\"",
    ";",
    "#",
    "\\",
    "x",
    " ",
    "\n",
    "1",
    ".",
    "..",
    "#t",
    ":",
    "\"\\u{",
    "1e",
    "-",
    "\u{1F600}",
];

#[test]
fn random_programs_never_panic() {
    let stop = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(20));
                polyglot::runtime::interrupt::INTERRUPTED.store(true, Ordering::Relaxed);
            }
        })
    };
    // POLYGLOT_FUZZ_SEED / POLYGLOT_FUZZ_N explore further than the default run.
    let seed = std::env::var("POLYGLOT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15u64);
    let n: usize = std::env::var("POLYGLOT_FUZZ_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let mut r = Rng(seed | 1);
    let mut engine = Engine::with_defaults().expect("engine starts");
    let opts = RenderOptions::plain();
    let (mut values, mut errors) = (0, 0);
    for i in 0..n {
        let text = if i % 4 == 3 {
            (0..r.below(30)).map(|_| r.pick(NOISE)).collect::<String>()
        } else {
            (0..1 + r.below(3))
                .map(|_| form(&mut r, 4))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            match engine.eval_quietly("<random>", &text) {
                Ok(v) => {
                    let _ = polyglot::runtime::printer::readable(&v);
                    true
                }
                Err(e) => {
                    let rendered = engine.render(&e, &opts);
                    assert!(!rendered.is_empty());
                    false
                }
            }
        }));
        match outcome {
            Ok(true) => values += 1,
            Ok(false) => errors += 1,
            Err(_) => panic!("program {i} panicked:\n{text}"),
        }
        if i % 500 == 499 {
            // Start fresh now and then, so one program's definitions do not dominate.
            engine = Engine::with_defaults().expect("engine starts");
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    assert!(
        values > 100 && errors > 100,
        "values {values}, errors {errors}"
    );
}

/// The same with Python in the mix: every program ends in a value or a diagnostic, and the
/// interpreter stays usable (a last program still answers).
#[test]
fn random_python_programs_never_panic() {
    if std::env::var_os("VIRTUAL_ENV").is_none() {
        // The Makefile always sets it; without an environment there is no Python to test.
        eprintln!("VIRTUAL_ENV not set: skipping the Python fuzz test");
        return;
    }
    let seed = std::env::var("POLYGLOT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x2545_F491_4F6C_DD1Du64);
    let n: usize = std::env::var("POLYGLOT_FUZZ_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500);
    let mut r = Rng(seed | 1);
    let mut engine = Engine::with_defaults().expect("engine starts");
    let opts = RenderOptions::plain();
    for i in 0..n {
        let text = form_from(&mut r, 3, PY_WORDS);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            match engine.eval_quietly("<random>", &text) {
                Ok(v) => {
                    let _ = polyglot::runtime::printer::readable(&v);
                }
                Err(e) => {
                    let _ = engine.render(&e, &opts);
                }
            }
        }));
        if outcome.is_err() {
            panic!("python program {i} panicked:\n{text}");
        }
    }
    // The other test's watchdog may interrupt any evaluation in this process: retry on that.
    let answer = (0..100)
        .map(|_| engine.eval_quietly("<last>", "((. ($py \"math\") sqrt) 16)"))
        .find(|r| !matches!(r, Err(e) if e.kind == polyglot::runtime::error::ErrorKind::Interrupt))
        .expect("an answer")
        .expect("Python still answers");
    assert_eq!(polyglot::runtime::printer::readable(&answer), "4.0");
}
