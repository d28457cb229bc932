//! What the browser build's Pyodide cannot run here, for the tests that run files under
//! `node web/run.mjs` (`tests/golden.rs`, `tests/pyref.rs`): NumPy and the rest of the
//! scientific stack (no wheels offline) and threads.

/// Whether a program's text uses something Pyodide lacks here.
pub fn needs_what_pyodide_lacks(text: &str) -> bool {
    [
        "numpy",
        "pandas",
        "matplotlib",
        "as-nd",
        "Thread(",
        "ThreadPool",
        "concurrent.futures",
    ]
    .iter()
    .any(|w| text.contains(w))
}
