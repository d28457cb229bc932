//! The import direction of ARCHITECTURE.md, enforced: every `crate::module` path in the
//! sources is an edge from the file's top-level module to that module, and each module may only
//! use the modules below it in the layer table. A new edge the table does not allow — a circle
//! coming back, Python reaching into the runtime, a front-end reaching past the engine — fails
//! this test with the file and line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each module and the modules it may import (besides itself).
const LAYERS: &[(&str, &[&str])] = &[
    // Leaves.
    ("source", &[]),
    ("symbol", &[]),
    ("buffer", &[]),
    ("stack", &[]),
    ("clock", &[]),
    ("ids", &["buffer"]),
    // The Lisp's front half, and the bridge (which never sees the Lisp).
    ("reader", &["source", "symbol", "stack"]),
    ("bridge", &["buffer", "ids", "stack", "clock"]),
    // The runtime knows no Python: it reaches the host through its own trait.
    (
        "runtime",
        &[
            "source", "symbol", "buffer", "ids", "stack", "reader", "clock",
        ],
    ),
    (
        "syntax",
        &["source", "symbol", "stack", "reader", "runtime"],
    ),
    (
        "compile",
        &["source", "symbol", "stack", "reader", "runtime", "syntax"],
    ),
    (
        "interop",
        &[
            "source", "symbol", "buffer", "ids", "stack", "runtime", "bridge", "clock",
        ],
    ),
    ("diagnostics", &["source", "reader", "runtime"]),
    (
        "engine",
        &[
            "source",
            "symbol",
            "reader",
            "runtime",
            "compile",
            "interop",
            "bridge",
            "diagnostics",
            "clock",
        ],
    ),
    // Front-ends: through the engine (and the runtime's values and printer).
    (
        "repl",
        &[
            "engine",
            "diagnostics",
            "runtime",
            "reader",
            "source",
            "symbol",
        ],
    ),
    ("signals", &["runtime", "bridge"]),
    (
        "kernel",
        &[
            "engine",
            "diagnostics",
            "runtime",
            "reader",
            "source",
            "symbol",
            "signals",
        ],
    ),
    ("bench", &["engine", "diagnostics", "runtime", "kernel"]),
    (
        "cli",
        &[
            "engine",
            "diagnostics",
            "runtime",
            "repl",
            "bench",
            "signals",
            "kernel",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file under `src/` belongs to (`None` for the crate root and main).
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// `crate::name` occurrences in code (comments skipped): (line number, name).
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // `$crate::` in macros names the crate root too.
            if !name.is_empty() {
                out.push((n + 1, name));
            }
            rest = after;
        }
    }
    out
}

/// Forbidden edges, as "file:line: from → to" lines.
fn violations(files: &[(String, String, String)]) -> Vec<String> {
    let mut bad = Vec::new();
    for (rel, module, text) in files {
        let Some((_, allowed)) = LAYERS.iter().find(|(m, _)| m == module) else {
            bad.push(format!(
                "{rel}: module `{module}` is not in the layer table"
            ));
            continue;
        };
        for (line, to) in crate_paths(text) {
            if &to != module && !allowed.contains(&to.as_str()) {
                bad.push(format!("{rel}:{line}: {module} → {to}"));
            }
        }
    }
    bad
}

fn sources() -> Vec<(String, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&src).expect("under src").to_path_buf();
            let module = module_of(&rel)?;
            let text = std::fs::read_to_string(&p).expect("read source");
            Some((rel.display().to_string(), module, text))
        })
        .collect()
}

#[test]
fn imports_point_one_way() {
    let files = sources();
    assert!(files.len() > 40, "found only {} source files", files.len());
    let bad = violations(&files);
    assert!(
        bad.is_empty(),
        "imports against the layer table (tests/layering.rs, ARCHITECTURE.md):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_table_has_no_circles() {
    // Every module may only use modules listed before it: then no circle can exist.
    let mut seen = BTreeSet::new();
    for (module, allowed) in LAYERS {
        for a in *allowed {
            assert!(
                seen.contains(a),
                "`{module}` uses `{a}`, which is not below it"
            );
        }
        seen.insert(*module);
    }
}

#[test]
fn a_forbidden_edge_is_caught() {
    let files = vec![
        (
            "reader/mod.rs".to_string(),
            "reader".to_string(),
            "use crate::runtime::value::Value;\n// crate::engine in a comment is fine\n"
                .to_string(),
        ),
        (
            "runtime/x.rs".to_string(),
            "runtime".to_string(),
            "fn f() { crate::interop::thing(); }\n".to_string(),
        ),
    ];
    let bad = violations(&files);
    assert_eq!(
        bad,
        vec![
            "reader/mod.rs:1: reader → runtime".to_string(),
            "runtime/x.rs:1: runtime → interop".to_string()
        ]
    );
}

#[test]
fn no_python_state_in_thread_locals_outside_the_backend() {
    for (rel, module, text) in sources() {
        if module == "bridge" && rel.starts_with("bridge/embedded") {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !(code.contains("thread_local!") && (module == "interop" || module == "engine")),
                "{rel}:{}: session state belongs in the Engine, not in a thread-local",
                n + 1
            );
        }
    }
}
