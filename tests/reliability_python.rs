//! What Python can produce reaches the Lisp whole, through the real binary: integers of any
//! size cross both ways, an exception whose `__str__` raises still has a headline, a lone
//! surrogate in a message is shown escaped (with the traceback kept), polyglot's own helper
//! frames stay out of tracebacks, and a script that is not UTF-8 is reported with its place.

mod support;

use support::*;

#[test]
fn big_integers_of_any_size_cross_both_ways() {
    let o = run(&["-e", "(count (str (py-eval \"10**5000\")))"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "5001\n"), "{}", o.show());
    let o = run(&[
        "-e",
        "[(= (py-eval \"-(3**20000)\") (- (pow 3 20000))) ((py-eval \"lambda x: x % 1000\") (pow 7 9000))]",
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    let want = format!("[true {}]\n", num_mod_7_pow_9000());
    assert_eq!(o.stdout, want, "{}", o.show());
}

/// 7**9000 % 1000, computed by repeated squaring (no big integers needed).
fn num_mod_7_pow_9000() -> u64 {
    let (mut result, mut base, mut e) = (1u64, 7u64, 9000u32);
    while e > 0 {
        if e & 1 == 1 {
            result = result * base % 1000;
        }
        base = base * base % 1000;
        e >>= 1;
    }
    result
}

#[test]
fn exception_text_that_fails_still_has_a_headline() {
    let o = run(&[
        "-e",
        "(py-exec \"class E(Exception):\\n def __str__(self): raise ValueError()\\nraise E()\")",
    ]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains("E: <exception str() failed>"),
        "{}",
        o.show()
    );
}

#[test]
fn exception_text_with_a_lone_surrogate_is_escaped_and_keeps_the_traceback() {
    let o = run(&[
        "-e",
        "(py-exec \"def f():\\n    raise ValueError('bad \\\\udc80 char')\\nf()\")",
    ]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains("ValueError: bad \\udc80 char"),
        "{}",
        o.show()
    );
    assert!(
        o.stderr.contains("in f"),
        "the traceback is kept: {}",
        o.show()
    );
    assert!(!o.stderr.contains('\u{fffd}'), "{}", o.show());
}

#[test]
fn tracebacks_leave_out_polyglots_own_frames() {
    let o = run(&["-e", "(take 2 (py-eval \"(1/0 for _ in [1])\"))"]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("in <genexpr>"), "{}", o.show());
    assert!(!o.stderr.contains("in take"), "{}", o.show());
    assert!(!o.stderr.contains("<polyglot>"), "{}", o.show());
}

#[test]
fn invalid_utf8_in_a_script_is_reported_with_its_place() {
    let dir = TempDir::new("rel-utf8");
    let path = dir.path().join("bad.lisp");
    std::fs::write(&path, b"(println 1)\n(println \"a\xffb\")\n").unwrap();
    let o = run(&[path.to_str().unwrap()]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr
            .contains("invalid UTF-8 at line 2, column 12 (byte 23"),
        "{}",
        o.show()
    );
    assert_eq!(o.stdout, "", "nothing runs from a file that cannot be read");
}
