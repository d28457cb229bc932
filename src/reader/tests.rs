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
