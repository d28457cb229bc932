//! The v2 core language through the real binary (CONTRACT.md §Core language): destructuring
//! errors are `SyntaxError`s that point at the pattern, `for`/`doseq` reject bad bindings at
//! the form, `format` reports bad templates and specs as `ValueError`s, and unbound names from
//! other languages get a hint with the real alternative.

use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn eval(expr: &str) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_polyglot"))
        .args(["-e", expr])
        .env("NO_COLOR", "1")
        .output()
        .expect("run polyglot");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Runs `expr`, expecting it to fail with `kind` and a message containing `message`; returns
/// stderr.
fn fails(expr: &str, kind: &str, message: &str) -> String {
    let o = eval(expr);
    assert_eq!(
        o.code, 1,
        "{expr}: expected exit 1\n{}{}",
        o.stdout, o.stderr
    );
    assert!(
        o.stderr.contains(&format!("{kind}: ")) && o.stderr.contains(message),
        "{expr}: expected {kind} with {message:?}, got:\n{}",
        o.stderr
    );
    o.stderr
}

/// The `line:column` the diagnostic points at.
fn location(stderr: &str) -> String {
    let at = stderr.find("<-e>:").expect("a location") + 5;
    stderr[at..]
        .split(']')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn bad_vector_patterns_are_syntax_errors_at_the_pattern() {
    let e = fails("(let [[a &] [1]] a)", "SyntaxError", "`&` must be followed");
    assert_eq!(location(&e), "1:10", "{e}");
    let e = fails(
        "(let [[a & b c] [1]] a)",
        "SyntaxError",
        "only one pattern may follow `&`",
    );
    assert_eq!(location(&e), "1:14", "{e}");
    fails("(let [[a :as] [1]] a)", "SyntaxError", "`:as`");
    let e = fails(
        "(let [(a b) 1] a)",
        "SyntaxError",
        "a binding must be a symbol",
    );
    assert_eq!(location(&e), "1:7", "{e}");
    fails("(let [5 1] 1)", "SyntaxError", "not `5`");
}

#[test]
fn bad_map_patterns_are_syntax_errors() {
    fails(
        "(let [{:keys a} {}] a)",
        "SyntaxError",
        ":keys takes a vector",
    );
    fails("(let [{a b} {}] a)", "SyntaxError", "the key to read");
    let e = fails(
        "(let [{:keys [a] :or {z 1}} {}] a)",
        "SyntaxError",
        "`z` in :or",
    );
    assert_eq!(location(&e), "1:23", "{e}");
    fails(
        "(let [{:as 1} {}] 1)",
        "SyntaxError",
        "`:as` in a map pattern",
    );
}

#[test]
fn bad_parameters_and_loop_patterns() {
    let e = fails(
        "(fn [1] 1)",
        "SyntaxError",
        "a parameter must be a symbol or a destructuring pattern",
    );
    assert_eq!(location(&e), "1:6", "{e}");
    fails("(defn f [[a &]] a)", "SyntaxError", "`&` must be followed");
    fails(
        "(loop [[a &] [1]] a)",
        "SyntaxError",
        "`&` must be followed",
    );
    fails(
        "(doseq [[a &] [[1]]] a)",
        "SyntaxError",
        "`&` must be followed",
    );
    fails("(let [[a b] 5] a)", "TypeError", "cannot destructure int 5");
}

#[test]
fn for_and_doseq_reject_bad_bindings_at_the_form() {
    let e = fails(
        "(+ 1 (for [x] x))",
        "SyntaxError",
        "`for` bindings need pairs",
    );
    assert_eq!(location(&e), "1:6", "{e}");
    fails("(for [x [1] :until true] x)", "SyntaxError", "not :until");
    fails(
        "(for [:when true x [1]] x)",
        "SyntaxError",
        ":when must follow a binding",
    );
    fails(
        "(doseq x (prn x))",
        "SyntaxError",
        "`doseq` takes a vector of bindings",
    );
    fails(
        "(for [x [1] :when] x)",
        "SyntaxError",
        "bindings need pairs",
    );
}

#[test]
fn destructuring_and_for_work() {
    let o = eval("(for [[a & r] [[1 2 3] [4]] :let [{:keys [k]} {:k a}]] [k r])");
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "([1 (2 3)] [4 nil])\n"),
        "{}",
        o.stderr
    );
    let o = eval("(for [x (range 100) :while (< x 3)] x)");
    assert_eq!(o.stdout, "(0 1 2)\n", "{}", o.stderr);
}

#[test]
fn bad_format_templates_and_specs_are_value_errors() {
    fails(
        r#"(format "{:d}" "abc")"#,
        "ValueError",
        "Unknown format code 'd' for a string",
    );
    fails(r#"(format "{} {}" 1)"#, "ValueError", "wants argument 1");
    fails(r#"(format "{")"#, "ValueError", "Single '{'");
    fails(r#"(format "}")"#, "ValueError", "Single '}'");
    fails(
        r#"(format "{:.2d}" 1)"#,
        "ValueError",
        "Precision not allowed",
    );
    fails(r#"(format "{:,x}" 1)"#, "ValueError", "Cannot specify ','");
    fails(
        r#"(format "{:5.2.1f}" 1.0)"#,
        "ValueError",
        "Invalid format specifier",
    );
    fails(r#"(format "{!z}" 1)"#, "ValueError", "Unknown conversion");
    fails(r#"(format "{name}" 1)"#, "ValueError", "give a map");
    fails(r#"(format "{0} {}" 1 2)"#, "ValueError", "cannot switch");
    fails("(format 1)", "TypeError", "a template string");
}

#[test]
fn time_prints_elapsed_and_returns_the_value() {
    let o = eval("(time (+ 1 2))");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mut lines = o.stdout.lines();
    let first = lines.next().unwrap_or_default();
    assert!(
        first.starts_with("Elapsed time: ") && first.ends_with(" ms"),
        "{first}"
    );
    assert_eq!(lines.next(), Some("3"));
}

#[test]
fn unbound_names_from_other_languages_get_the_alternative() {
    for (name, alt) in [
        ("(len [1])", "`count`"),
        ("(lambda (x) x)", "`fn`"),
        ("(define x 1)", "`def`"),
        ("None", "`nil`"),
        ("True", "`true`"),
        ("(import numpy)", "($py \"module\")"),
        ("(cond false 1 else 2)", "`:else`"),
    ] {
        let e = fails(name, "NameError", "unbound symbol");
        assert!(
            e.contains("help: there is no") && e.contains(alt),
            "{name}: {e}"
        );
    }
    // Other typos still get the nearest name.
    let e = fails("(pritnln 1)", "NameError", "unbound symbol `pritnln`");
    assert!(e.contains("did you mean `println`?"), "{e}");
}
