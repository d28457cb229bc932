//! The book's examples are run. Every ```` ```lisp ```` fence in `book/src` is a script run by
//! the real binary; it must succeed, and when a ```` ```text ```` fence follows it directly, the
//! script's output must be exactly that text. A fence marked ```` ```lisp,error ```` must fail,
//! and its following text fence is compared with stdout plus stderr. ```` ```lisp,norun ````
//! fences (REPL sessions, long-running examples) are only read, not run.
//! `BLESS=1 cargo test --test book` rewrites the text fences from the actual output.
//!
//! Every example also runs with `--backend workers` and must print exactly what it prints
//! embedded, except a fence marked ```` ```lisp,embedded-only ```` (its text says why) or
//! ```` ```lisp,varies ```` (its output changes from run to run: a timing).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// A text fence's line range (0-based, end exclusive) and its new content.
type Edit = ((usize, usize), String);

struct Example {
    file: String,
    line: usize,
    code: String,
    expect_error: bool,
    run: bool,
    embedded_only: bool,
    output: Option<String>,
    /// Line range (0-based, end exclusive) of the expected output's content.
    output_lines: Option<(usize, usize)>,
}

fn examples(md: &str, file: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut lines = md.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let info = info.trim().to_string();
        let mut body = String::new();
        for (_, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        if info.starts_with("lisp") {
            out.push(Example {
                file: file.to_string(),
                line: n + 1,
                code: body,
                expect_error: info.contains("error"),
                run: !info.contains("norun"),
                embedded_only: info.contains("embedded-only") || info.contains("varies"),
                output: None,
                output_lines: None,
            });
            // A text fence right after (blank lines allowed) is the expected output.
            while lines.peek().is_some_and(|(_, l)| l.trim().is_empty()) {
                lines.next();
            }
            if lines.peek().is_some_and(|(_, l)| l.trim() == "```text") {
                let start = lines.next().map_or(0, |(i, _)| i + 1);
                let mut end = start;
                let mut expected = String::new();
                for (i, l) in lines.by_ref() {
                    if l.trim_start().starts_with("```") {
                        end = i;
                        break;
                    }
                    expected.push_str(l);
                    expected.push('\n');
                }
                if let Some(last) = out.last_mut() {
                    last.output_lines = Some((start, end));
                    last.output = Some(expected);
                }
            }
        }
    }
    out
}

/// Runs an example's script with these extra arguments: stdout, stderr, success.
fn run_example(root: &Path, ex: &Example, args: &[&str]) -> (String, String, bool) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_polyglot"));
    cmd.args(args).arg("-");
    run_script(root, ex, cmd)
}

/// Runs `cmd` (which reads the script from stdin) on an example: stdout, stderr, success.
fn run_script(root: &Path, ex: &Example, mut cmd: Command) -> (String, String, bool) {
    let mut child = cmd
        .current_dir(root)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn polyglot");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ex.code.as_bytes())
        .expect("write script");
    let out = child.wait_with_output().expect("wait");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

fn all_examples(root: &Path) -> Vec<Example> {
    let src = root.join("book/src");
    let mut all = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&src)
        .expect("book/src exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    entries.sort();
    for p in entries {
        let md = std::fs::read_to_string(&p).expect("read chapter");
        all.extend(examples(&md, &p.file_name().unwrap().to_string_lossy()));
    }
    all
}

/// The differential run of the book: the same output on the workers backend.
#[cfg(unix)]
#[test]
fn book_examples_give_the_same_output_on_workers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    let mut compared = 0;
    for ex in all_examples(root)
        .iter()
        .filter(|e| e.run && !e.embedded_only)
    {
        let embedded = run_example(root, ex, &[]);
        let workers = run_example(root, ex, &["--backend", "workers", "--workers", "2"]);
        compared += 1;
        if embedded != workers {
            failures.push(format!(
                "{}:{}: differs on workers\n--- embedded ({})\n{}{}--- workers ({})\n{}{}",
                ex.file,
                ex.line,
                embedded.2,
                embedded.0,
                embedded.1,
                workers.2,
                workers.0,
                workers.1
            ));
        }
    }
    assert!(compared >= 20, "only {compared} examples compared");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The browser chapter's examples also run under the Node runner (the wasm build with Pyodide)
/// and print what the native binary prints.
#[test]
fn browser_chapter_examples_give_the_same_output_under_node() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("POLYGLOT_SKIP_WEB").is_some() {
        eprintln!("SKIPPED the browser chapter under node: POLYGLOT_SKIP_WEB is set");
        return;
    }
    assert!(
        root.join("web/dist/polyglot.wasm").exists(),
        "web/dist/polyglot.wasm is missing: `make web` builds it (POLYGLOT_SKIP_WEB=1 skips this test)"
    );
    let mut compared = 0;
    for ex in all_examples(root)
        .iter()
        .filter(|e| e.run && e.file == "browser.md")
    {
        let native = run_example(root, ex, &[]);
        let mut node = Command::new("node");
        node.args(["web/run.mjs", "-"]);
        let node = run_script(root, ex, node);
        assert_eq!(native, node, "{}:{}: differs under node", ex.file, ex.line);
        compared += 1;
    }
    assert!(compared >= 1, "the browser chapter has a runnable example");
}

#[test]
fn book_examples_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("book/src");
    let all = all_examples(root);
    assert!(
        all.len() >= 20,
        "the book should have examples, found {}",
        all.len()
    );
    let bless = std::env::var_os("BLESS").is_some();
    let mut blessed: std::collections::BTreeMap<String, Vec<Edit>> = Default::default();
    let mut failures = Vec::new();
    for ex in all.iter().filter(|e| e.run) {
        let (stdout, stderr, ok) = run_example(root, ex, &[]);
        let place = format!("{}:{}", ex.file, ex.line);
        if ok == ex.expect_error {
            failures.push(format!(
                "{place}: expected {}, got the other\nstdout:\n{stdout}\nstderr:\n{stderr}",
                if ex.expect_error {
                    "an error"
                } else {
                    "success"
                },
            ));
            continue;
        }
        if let Some(want) = &ex.output {
            let got = if ex.expect_error {
                format!("{stdout}{stderr}")
            } else {
                stdout.clone()
            };
            if bless && &got != want {
                if let Some(range) = ex.output_lines {
                    blessed
                        .entry(ex.file.clone())
                        .or_default()
                        .push((range, got.clone()));
                }
                continue;
            }
            if &got != want {
                failures.push(format!(
                    "{place}: output differs\n--- want\n{want}--- got\n{got}"
                ));
            }
        }
    }
    for (file, mut edits) in blessed {
        let path = src.join(&file);
        let text = std::fs::read_to_string(&path).expect("read chapter");
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.0));
        for ((start, end), got) in edits {
            let new: Vec<String> = got.lines().map(str::to_string).collect();
            lines.splice(start..end, new);
        }
        std::fs::write(&path, lines.join("\n") + "\n").expect("write chapter");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
