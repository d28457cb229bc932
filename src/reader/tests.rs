//! Reader unit tests: every item of the contract's reader section, spans, and the line
//! between incomplete and wrong input.

use super::*;
use crate::symbol::intern;

fn read1(text: &str) -> Datum {
    let mut forms = read_all(text, SourceId(0)).expect("reads");
    assert_eq!(forms.len(), 1, "one form in {text:?}");
    forms.remove(0)
}

fn kind(text: &str) -> DatumKind {
    read1(text).kind
}

#[test]
fn numbers() {
    assert_eq!(kind("42"), DatumKind::Int(42));
    assert_eq!(kind("-7"), DatumKind::Int(-7));
    assert_eq!(kind("+7"), DatumKind::Int(7));
    assert_eq!(
        kind("123456789012345678901234567890"),
        DatumKind::BigInt("123456789012345678901234567890".parse().unwrap())
    );
    assert_eq!(kind("2.5"), DatumKind::Float(2.5));
    assert_eq!(kind("1e-3"), DatumKind::Float(1e-3));
    assert_eq!(kind("-2.5E10"), DatumKind::Float(-2.5e10));
    assert_eq!(kind("1e10"), DatumKind::Float(1e10));
    assert!(matches!(
        read_all("12abc", SourceId(0)),
        Err(ReadError::BadNumber { .. })
    ));
}

#[test]
fn strings_and_escapes() {
    assert_eq!(kind(r#""a\nb\t\"\\""#), DatumKind::Str("a\nb\t\"\\".into()));
    assert_eq!(kind(r#""\u{1F600}""#), DatumKind::Str("😀".into()));
    assert_eq!(kind(r#""\u00e9""#), DatumKind::Str("é".into()));
    assert!(matches!(
        read_all(r#""\q""#, SourceId(0)),
        Err(ReadError::BadEscape { .. })
    ));
}

#[test]
fn constants_symbols_keywords() {
    assert_eq!(kind("true"), DatumKind::Bool(true));
    assert_eq!(kind("#f"), DatumKind::Bool(false));
    assert_eq!(kind("#t"), DatumKind::Bool(true));
    assert_eq!(kind("nil"), DatumKind::Nil);
    for s in [".", "$py", "->", "a.b.c", "set!", "nd?", "-", "+", "..."] {
        assert_eq!(kind(s), DatumKind::Symbol(intern(s)), "{s}");
    }
    assert_eq!(kind(":axis"), DatumKind::Keyword(intern("axis")));
}

#[test]
fn collections_and_quotes() {
    let DatumKind::List(items) = kind("(. np sum)") else {
        panic!("list")
    };
    assert_eq!(items.len(), 3);
    assert!(matches!(kind("[1 2]"), DatumKind::Vector(v) if v.len() == 2));
    assert!(matches!(kind("{:a 1}"), DatumKind::Map(v) if v.len() == 2));
    for (text, head) in [
        ("'x", "quote"),
        ("`x", "quasiquote"),
        (",x", "unquote"),
        (",@x", "unquote-splicing"),
    ] {
        let DatumKind::List(items) = kind(text) else {
            panic!("{text}")
        };
        assert_eq!(items[0].kind, DatumKind::Symbol(intern(head)));
    }
}

#[test]
fn comments_and_discard() {
    let forms = read_all("; hi\n1 #_ (2 3) 4 ; end", SourceId(0)).unwrap();
    let kinds: Vec<_> = forms.into_iter().map(|d| d.kind).collect();
    assert_eq!(kinds, vec![DatumKind::Int(1), DatumKind::Int(4)]);
    assert_eq!(
        read_all("#!/usr/bin/env polyglot\n5", SourceId(0))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let forms = read_all("\u{feff}(+ 1 2)", SourceId(0)).unwrap();
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0].span.start, 3, "spans still count the mark's bytes");
    let forms = read_all("\u{feff}#!/usr/bin/env polyglot\n5", SourceId(0)).unwrap();
    assert_eq!(
        forms.into_iter().map(|d| d.kind).collect::<Vec<_>>(),
        [DatumKind::Int(5)]
    );
}

#[test]
fn spans_cover_the_text() {
    let d = read1("  (foo  bar)");
    assert_eq!(d.span.range(), 2..12);
    let DatumKind::List(items) = d.kind else {
        panic!()
    };
    assert_eq!(items[1].span.range(), 8..11);
}

#[test]
fn incomplete_versus_wrong() {
    for text in ["(", "(1 2", "[1 (2)", "\"abc", "'", "{:a"] {
        let e = read_all(text, SourceId(0)).unwrap_err();
        assert!(
            e.is_incomplete(),
            "{text:?} should be incomplete, got {e:?}"
        );
    }
    for text in [")", "(1]", "{:a}", "#x", "1.2.3"] {
        let e = read_all(text, SourceId(0)).unwrap_err();
        assert!(!e.is_incomplete(), "{text:?} should be an error, got {e:?}");
    }
}

#[test]
fn deep_nesting_is_a_clean_error() {
    let text = "(".repeat(200_000);
    let e = read_all(&text, SourceId(0)).unwrap_err();
    assert!(matches!(e, ReadError::TooDeep { .. }), "{e:?}");
    let ok = format!("{}{}", "(".repeat(500), ")".repeat(500));
    assert!(read_all(&ok, SourceId(0)).is_ok());
}

fn err(text: &str) -> ReadError {
    read_all(text, SourceId(0)).unwrap_err()
}

#[test]
fn discard_nesting_is_capped() {
    // A run of `#_` waits for that many forms: each one is a level of nesting.
    for n in [MAX_DEPTH + 2, 10_000, 50_000, 200_000] {
        let text = format!("{}1", "#_".repeat(n));
        assert!(matches!(err(&text), ReadError::TooDeep { .. }), "{n}");
        let spaced = format!("{}1", "#_ ".repeat(n));
        assert!(matches!(err(&spaced), ReadError::TooDeep { .. }), "{n}");
    }
    // The same run inside lists, vectors, maps and after quote prefixes.
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}"), ("'", ""), ("`(", ")")] {
        let text = format!("{open}{}1{close}", "#_".repeat(50_000));
        assert!(matches!(err(&text), ReadError::TooDeep { .. }), "{open}");
    }
    // Discards count on top of the nesting they sit in.
    let text = format!("{}{}1 2", "(".repeat(MAX_DEPTH - 1), "#_".repeat(5));
    assert!(matches!(err(&text), ReadError::TooDeep { .. }));
    // Up to the cap a run works, and drops exactly as many forms as it has `#_`.
    let n = MAX_DEPTH;
    let forms: Vec<String> = (0..=n).map(|i| i.to_string()).collect();
    let text = format!("{}{}", "#_".repeat(n), forms.join(" "));
    let read: Vec<_> = read_all(&text, SourceId(0))
        .unwrap()
        .into_iter()
        .map(|d| d.kind)
        .collect();
    assert_eq!(read, vec![DatumKind::Int(n as i64)]);
    // Many discards one after another are no nesting at all.
    let text = format!("{}7", "#_ 1 ".repeat(200_000));
    assert_eq!(kind(&text), DatumKind::Int(7));
    let text = format!("'{}7", "#_ 1 ".repeat(200_000));
    assert!(matches!(kind(&text), DatumKind::List(_)));
    let text = format!("[{}7]", "#_ 1 ".repeat(200_000));
    assert!(matches!(kind(&text), DatumKind::Vector(v) if v.len() == 1));
}

#[test]
fn discard_errors_keep_their_kind() {
    // Not enough forms: incomplete (the REPL asks for more), at the `#_` still waiting.
    let e = err("#_ #_ 1");
    assert!(e.is_incomplete(), "{e:?}");
    assert_eq!(e.span().range(), 0..2);
    assert!(err(&"#_".repeat(500)).is_incomplete());
    assert!(matches!(err("(#_)"), ReadError::UnexpectedClose { .. }));
    assert!(matches!(err("'#_ 1"), ReadError::Incomplete { .. }));
    let DatumKind::List(items) = kind("'#_ 1 2") else {
        panic!("a quoted form")
    };
    assert_eq!(items[1].kind, DatumKind::Int(2));
    assert_eq!(kind("#_ #_ 1 2 3"), DatumKind::Int(3));
    assert!(matches!(kind("[#_ #_ 1 2 3]"), DatumKind::Vector(v) if v.len() == 1));
}

#[test]
fn quote_nesting_is_capped() {
    for n in [10_000, 200_000] {
        let text = format!("{}x", "'".repeat(n));
        assert!(matches!(err(&text), ReadError::TooDeep { .. }));
        let text = format!("{}x", "'#_ 1 ".repeat(n));
        assert!(matches!(err(&text), ReadError::TooDeep { .. }));
    }
}

#[test]
fn numbers_follow_pythons_underscore_rules() {
    assert_eq!(kind("1_000"), DatumKind::Int(1000));
    assert_eq!(kind("-1_000_000"), DatumKind::Int(-1_000_000));
    assert_eq!(kind("1_0.2_5"), DatumKind::Float(10.25));
    assert_eq!(kind("1e1_0"), DatumKind::Float(1e10));
    assert_eq!(
        kind("1_000_000_000_000_000_000_000"),
        DatumKind::BigInt("1000000000000000000000".parse().unwrap())
    );
    for text in [
        "1_", "1__0", "1___0", "1_000_", "-1_", "+1__2", "1_.5", "1._5", "1.5_", "1e_5", "1_e5",
        "1e5_", "1__000.0",
    ] {
        assert!(
            matches!(err(text), ReadError::BadNumber { .. }),
            "{text} should be a bad number"
        );
    }
    // Not starting with a digit, `_1` is a name, as in Python.
    assert_eq!(kind("_1"), DatumKind::Symbol(intern("_1")));
    assert_eq!(kind("-_1"), DatumKind::Symbol(intern("-_1")));
}

#[test]
fn every_contract_escape_reads() {
    let cases = [
        (r#""\n""#, "\n"),
        (r#""\t""#, "\t"),
        (r#""\r""#, "\r"),
        (r#""\b""#, "\u{8}"),
        (r#""\f""#, "\u{c}"),
        (r#""\0""#, "\0"),
        (r#""\"""#, "\""),
        (r#""\\""#, "\\"),
        (r#""\x41\xe9\xFF""#, "Aé\u{ff}"),
        (r#""\u0041\u00E9""#, "Aé"),
        (r#""\U0001F600\U00000041""#, "😀A"),
        (r#""\u{41}\u{1F600}\u{10FFFF}""#, "A😀\u{10ffff}"),
        (r#""\u00411""#, "A1"),
        (r#""\x411""#, "A1"),
    ];
    for (text, want) in cases {
        assert_eq!(kind(text), DatumKind::Str(want.into()), "{text}");
    }
}

#[test]
fn bad_escapes_are_errors_with_their_span() {
    for text in [
        r#""\u+041""#,
        r#""\u-041""#,
        r#""\u 041""#,
        r#""\u{+41}""#,
        r#""\u{}""#,
        r#""\u{1234567}""#,
        r#""\u{110000}""#,
        r#""\u{D800}""#,
        r#""\uD800""#,
        r#""\u41""#,
        r#""\u{41""#,
        r#""\x4""#,
        r#""\x+4""#,
        r#""\xg0""#,
        r#""\U+0001F60""#,
        r#""\U0001F60""#,
        r#""\U00110000""#,
        r#""\q""#,
        r#""\a""#,
        r#""\é""#,
    ] {
        let e = err(text);
        let ReadError::BadEscape { span, .. } = &e else {
            panic!("{text}: {e:?}")
        };
        assert_eq!(span.start, 1, "{text}: the span starts at the backslash");
        assert!(span.end as usize <= text.len(), "{text}: {span:?}");
        assert!(text.is_char_boundary(span.end as usize), "{text}");
    }
    let ReadError::BadEscape { esc, span } = err(r#"(x "ab\u+041")"#) else {
        panic!()
    };
    assert_eq!((esc.as_str(), span.range()), ("u+", 6..9));
}

#[test]
fn error_texts_are_clipped() {
    let long = format!("1{}x", "2".repeat(300_000));
    let ReadError::BadNumber { text, .. } = err(&long) else {
        panic!()
    };
    assert!(text.len() < 100, "{}", text.len());
    let e = err(&format!("#{}", "x".repeat(300_000)));
    assert!(e.to_string().len() < 200);
    let e = err(&format!(":{}", ":".repeat(300_000)));
    assert!(e.to_string().len() < 200);
}
