//! The worker protocol's test vectors (docs/protocol.md §11): the Rust codec encodes each named
//! value to exactly the bytes of `tests/protocol/vectors.txt` and decodes those bytes back to
//! the value; the Python runtime's own self-test checks the same file the same way.

use polyglot::bridge::workers::codec::{decode, frame, Decoder, Val};
use std::path::{Path, PathBuf};

fn s(x: &str) -> Val {
    Val::str(x)
}

/// The values the vectors hold, by name (the Python runtime builds the same ones).
fn expected(name: &str) -> Option<Val> {
    Some(match name {
        "none" => Val::None,
        "true" => Val::Bool(true),
        "false" => Val::Bool(false),
        "int_small" => Val::Int(42),
        "int_neg" => Val::Int(-7),
        "int_max" => Val::Int(i64::MAX),
        "int_min" => Val::Int(i64::MIN),
        "big_pos" => Val::Big("10000000000000000".into()),
        "big_neg" => Val::Big("-400000000000000000".into()),
        "float" => Val::Float(1.5),
        "float_neg_zero" => Val::Float(-0.0),
        "str_ascii" => s("hi"),
        "str_unicode" => s("é😀"),
        "bytes" => Val::Bytes(vec![0, 0xff]),
        "list_empty" => Val::List(vec![]),
        "list_mixed" => Val::List(vec![Val::Int(1), s("a"), Val::None]),
        "tuple" => Val::Tuple(vec![Val::Int(1), Val::Int(2)]),
        "dict" => Val::Dict(vec![
            (s("a"), Val::Int(1)),
            (Val::Int(2), Val::List(vec![Val::Int(3)])),
        ]),
        "handle" => Val::Handle(7),
        "callback" => Val::Callback(3),
        "step" => Val::Step(2),
        "array" => Val::Array {
            dtype: "float32".into(),
            shape: vec![2],
            data: [1.0f32.to_le_bytes(), 2.0f32.to_le_bytes()].concat(),
        },
        "msg_run" => Val::List(vec![
            s("run"),
            Val::Int(1),
            s("auto"),
            Val::List(vec![
                Val::List(vec![s("import"), s("math")]),
                Val::List(vec![s("getattr"), Val::Step(0), s("sqrt")]),
                Val::List(vec![
                    s("call"),
                    Val::Step(1),
                    Val::List(vec![Val::Int(16)]),
                    Val::List(vec![]),
                ]),
            ]),
            Val::List(vec![Val::Int(5)]),
        ]),
        "msg_error" => Val::List(vec![
            s("error"),
            Val::Int(3),
            Val::Int(1),
            s("ValueError"),
            s("bad"),
            Val::Handle(9),
            Val::Bool(false),
            Val::None,
        ]),
        "pending" => Val::Pending(5),
        "shared_array" => Val::Shared {
            dtype: "float64".into(),
            shape: vec![2, 3],
            id: 9,
            fd: 17,
            bytes: 48,
            readonly: false,
        },
        "msg_unmap" => Val::List(vec![s("unmap"), Val::List(vec![Val::Int(9), Val::Int(10)])]),
        "msg_run_keep" => Val::List(vec![
            s("run"),
            Val::Int(6),
            s("auto"),
            Val::List(vec![Val::List(vec![
                s("call"),
                Val::Pending(5),
                Val::List(vec![Val::Float(2.0), Val::None]),
                Val::List(vec![]),
            ])]),
            Val::List(vec![]),
            Val::Bool(true),
        ]),
        "msg_run_acked" => Val::List(vec![
            s("run"),
            Val::Int(7),
            s("deep"),
            Val::List(vec![Val::List(vec![
                s("getattr"),
                Val::Pending(6),
                s("real"),
            ])]),
            Val::List(vec![Val::Int(8)]),
            Val::Bool(false),
            Val::Int(5),
        ]),
        "msg_skipped" => Val::List(vec![s("skipped"), Val::Int(7)]),
        "msg_resume" => Val::List(vec![s("resume")]),
        "msg_forget" => Val::List(vec![s("forget"), Val::List(vec![Val::Int(5), Val::Int(6)])]),
        "msg_batch" => Val::List(vec![
            s("batch"),
            Val::List(vec![
                Val::List(vec![s("resume")]),
                Val::List(vec![
                    s("run"),
                    Val::Int(8),
                    s("auto"),
                    Val::List(vec![]),
                    Val::List(vec![]),
                    Val::Bool(true),
                ]),
            ]),
        ]),
        _ => return None,
    })
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
        .collect()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_rust_codec_matches_every_vector() {
    let text = std::fs::read_to_string(root().join("tests/protocol/vectors.txt"))
        .expect("tests/protocol/vectors.txt");
    let mut seen = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, hex) = line.split_once(' ').expect("NAME HEX");
        let bytes = unhex(hex.trim());
        let want = expected(name).unwrap_or_else(|| panic!("no expected value for {name}"));
        assert_eq!(frame(&want).unwrap(), bytes, "{name}: encoding");
        let mut d = Decoder::default();
        d.feed(&bytes);
        assert_eq!(d.next_message().unwrap().unwrap(), want, "{name}: decoding");
        assert_eq!(decode(&bytes[4..]).unwrap(), want, "{name}: payload");
        seen += 1;
    }
    assert!(seen >= 33, "only {seen} vectors");
}

fn venv_python() -> PathBuf {
    std::env::var_os("VIRTUAL_ENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv"))
        .join("bin/python")
}

#[test]
fn the_python_runtime_passes_its_self_test() {
    let out = std::process::Command::new(venv_python())
        .arg(root().join("src/bridge/workers/runtime.py"))
        .arg("--self-test")
        .current_dir(root())
        .output()
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "runtime.py --self-test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
