//! The `Engine` as an embedder uses it: two sessions side by side in one process, output
//! through a sink it installs, the evaluation result as data, settings checked up front.
//!
//! The embedded CPython belongs to the thread that started it, so everything that uses Python
//! runs from one test, in order.

use polyglot::{Engine, EngineConfig, Recorder, Show, Stream, Value};
use std::sync::Arc;

fn engine_with_recorder() -> (Engine, Arc<Recorder>) {
    let mut e = Engine::new(EngineConfig::default()).expect("the engine starts");
    let out = Arc::new(Recorder::default());
    e.set_output(out.clone());
    (e, out)
}

fn two_engines_in_one_process_keep_their_own_state() {
    let (mut a, out_a) = engine_with_recorder();
    let (mut b, out_b) = engine_with_recorder();
    a.eval("<a>", "(def who \"a\") (py-exec \"x = 41\")")
        .result
        .unwrap();
    b.eval("<b>", "(def who \"b\")").result.unwrap();
    assert_eq!(
        a.eval("<a>", "who").printed.as_deref(),
        Some("\"a\""),
        "globals are per engine"
    );
    assert_eq!(b.eval("<b>", "who").printed.as_deref(), Some("\"b\""));
    assert_eq!(
        a.eval("<a>", "(py-eval \"x + 1\")").printed.as_deref(),
        Some("42")
    );
    let missing = b.eval("<b>", "(py-eval \"x\")");
    assert_eq!(
        missing
            .error()
            .map(|e| e.kind.type_name().to_string())
            .as_deref(),
        Some("NameError"),
        "the Python namespace is per engine"
    );
    drop(missing); // its exception object was a handle of b's

    // Handles are counted per engine.
    a.eval("<a>", "(def xs (->py [1 2 3]))").result.unwrap();
    assert_eq!(a.eval("<a>", "(py-handles)").printed.as_deref(), Some("1"));
    assert_eq!(b.eval("<b>", "(py-handles)").printed.as_deref(), Some("0"));
    // Each engine's Python output reaches its own sink.
    a.eval("<a>", "(py-exec \"print('from a')\")")
        .result
        .unwrap();
    b.eval("<b>", "(py-exec \"print('from b')\")")
        .result
        .unwrap();
    assert_eq!(out_a.text(Stream::Stdout), "from a\n");
    assert_eq!(out_b.text(Stream::Stdout), "from b\n");
}

fn lisp_and_python_output_reach_the_sink_in_program_order() {
    let (mut e, out) = engine_with_recorder();
    let r = e.eval(
        "<order>",
        r#"(print "a")
           (py-exec "import sys; print('b'); sys.stderr.write('e1\\n')")
           (println "c")
           ((. ($py "builtins") print) "d")
           (println "e")"#,
    );
    assert!(r.result.is_ok(), "{:?}", r.error());
    assert_eq!(out.text(Stream::Stdout), "ab\nc\nd\ne\n");
    assert_eq!(out.text(Stream::Stderr), "e1\n");
    let kinds: Vec<Stream> = out.writes().into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        kinds,
        vec![Stream::Stdout, Stream::Stderr, Stream::Stdout],
        "stderr arrived between the writes it came between"
    );
}

fn eval_returns_value_printed_form_timing_and_errors() {
    let (mut e, _out) = engine_with_recorder();
    e.set_timing(true);
    let r = e.eval("<ok>", "(def m ($py \"math\")) (m.floor 2.5)");
    assert!(matches!(r.value(), Some(Value::Int(2))), "{:?}", r.result);
    assert_eq!(r.printed.as_deref(), Some("2"));
    assert!(r.timing.requests >= 1, "{:?}", r.timing);
    assert!(r.timing.line().contains("request"));

    let mut seen = Vec::new();
    let each = e.eval_with("<each>", "1 (+ 1 1) [3]", Show::Each, &mut |_, p| {
        seen.push(p.to_string())
    });
    assert_eq!(seen, ["1", "2", "[3]"]);
    assert_eq!(each.values.len(), 3);

    let bad = e.eval("<bad>", "(def y 1) (/ 1 0) (def z 2)");
    let err = bad.error().expect("an error");
    assert_eq!(err.kind.type_name(), "ZeroDivisionError");
    assert!(e.global("y").is_some());
    assert!(e.global("z").is_none(), "forms after the error do not run");
    let shown = e.render(err, &polyglot::diagnostics::RenderOptions::plain());
    assert!(shown.contains("<bad>:1"), "{shown}");
}

#[test]
fn bad_settings_are_an_error_not_a_panic() {
    let config = EngineConfig {
        workers: Some(0),
        ..EngineConfig::default()
    };
    let err = Engine::new(config).err().expect("refused");
    assert!(err.message.contains("--workers"), "{}", err.message);
}

#[test]
fn an_engine_without_python_runs_the_bare_language() {
    let config = EngineConfig {
        python_enabled: false,
        ..EngineConfig::default()
    };
    let mut e = Engine::new(config).expect("the engine starts");
    assert_eq!(
        e.eval("<bare>", "(reduce + (map inc (range 4)))")
            .printed
            .as_deref(),
        Some("10")
    );
    let r = e.eval("<bare>", "($py \"math\")");
    assert_eq!(r.error().map(|e| e.kind.type_name()), Some("NameError"));
    assert!(!e.python_started());
}

#[test]
fn sessions_with_python() {
    two_engines_in_one_process_keep_their_own_state();
    lisp_and_python_output_reach_the_sink_in_program_order();
    eval_returns_value_printed_form_timing_and_errors();
}

#[test]
fn self_referencing_local_functions_are_freed_when_unreachable() {
    let mut e = Engine::new(EngineConfig {
        python_enabled: false,
        ..EngineConfig::default()
    })
    .unwrap();
    let setup = "(defn make [] (let [f nil] (set! f (fn [n] (if (= n 0) :done (f (dec n))))) f))
                 (def kept (vec (map (fn [_] (make)) (range 100))))";
    assert!(e.eval("<setup>", setup).result.is_ok());
    let churn = e.eval("<churn>", "(dotimes [i 20000] ((make) 2)) :ok");
    assert_eq!(churn.printed.as_deref(), Some(":ok"));
    polyglot::runtime::cycles::sweep();
    // The 20,000 dropped ones are gone; the 100 still held are kept and still work.
    assert!(
        polyglot::runtime::cycles::noted() <= 200,
        "noted cells: {}",
        polyglot::runtime::cycles::noted()
    );
    let calls = e.eval("<kept>", "(count (filter (fn [g] (= (g 3) :done)) kept))");
    assert_eq!(calls.printed.as_deref(), Some("100"));
}

fn bare_engine() -> Engine {
    Engine::new(EngineConfig {
        python_enabled: false,
        ..EngineConfig::default()
    })
    .unwrap()
}

fn printed(e: &mut Engine, code: &str) -> String {
    let out = e.eval("<test>", code);
    assert!(out.result.is_ok(), "{code}: {:?}", out.result.err());
    out.printed.unwrap_or_default()
}

#[test]
fn runtime_symbols_are_freed() {
    use polyglot::symbol::{dynamic_symbols, permanent_symbols};
    let mut e = bare_engine();
    // Equality with the program's own symbols, hashing, map keys, code made from data.
    for (code, want) in [
        ("(= (symbol \"a\") 'a)", "true"),
        ("(= (read-string \"zz9\") (read-string \"zz9\"))", "true"),
        ("(= (keyword \"k\") :k (read-string \":k\"))", "true"),
        ("(get {(keyword (str \"dy\" 1)) 5} (keyword \"dy1\"))", "5"),
        ("(get {:dk2 6} (keyword (str \"dk\" 2)))", "6"),
        (
            "(def held [(symbol \"held-sym\") (keyword \"held-kw\")]) (count held)",
            "2",
        ),
        ("(eval (read-string \"(def q1 5)\")) q1", "5"),
        ("(eval (list 'def (symbol \"q2\") 7)) q2", "7"),
    ] {
        assert_eq!(printed(&mut e, code), want, "{code}");
    }
    let permanent = permanent_symbols();
    let churn = "(dotimes [i 1000000]
                   (read-string (str \"s\" i))
                   (symbol (str \"y\" i))
                   (keyword (str \"k\" i)))
                 :ok";
    assert_eq!(printed(&mut e, churn), ":ok");
    let (live, slots) = dynamic_symbols();
    assert_eq!(polyglot::symbol::lookup("y5"), None, "freed");
    assert!(slots < 100, "{live} live dynamic symbols in {slots} slots");
    assert!(
        permanent_symbols() - permanent < 20,
        "the churn interned names for good"
    );
    // What is still referred to is still there, and still equal to itself read again.
    for (code, want) in [
        ("held", "[held-sym :held-kw]"),
        (
            "(= held [(symbol \"held-sym\") (read-string \":held-kw\")])",
            "true",
        ),
        ("(+ q1 q2)", "12"),
        ("(= (symbol \"y999999\") (read-string \"y999999\"))", "true"),
    ] {
        assert_eq!(printed(&mut e, code), want, "{code}");
    }
}

#[test]
fn mutually_recursive_local_functions_are_freed_when_unreachable() {
    use polyglot::runtime::cycles::{noted, sweep};
    let mut e = bare_engine();
    let setup = "(defn pair []
                   (let [f nil g nil]
                     (set! f (fn [n] (if (= n 0) :even (g (- n 1)))))
                     (set! g (fn [n] (if (= n 0) :odd (f (- n 1)))))
                     [f g]))
                 (defn three []
                   (let [a nil b nil c nil]
                     (set! a (fn [n] (if (= n 0) :a (b (- n 1)))))
                     (set! b (fn [n] (if (= n 0) :b (c (- n 1)))))
                     (set! c (fn [n] (if (= n 0) :c (a (- n 1)))))
                     a))
                 (defn through-a-value []
                   (let [g nil
                         f (fn [n] (g n))]
                     (set! g (fn [n] (if (= n 0) :z (f (- n 1)))))
                     g))
                 (def kept (vec (map (fn [_] (pair)) (range 100))))
                 (def kept-g (vec (map (fn [_] (second (pair))) (range 100))))
                 (def kept-3 (three))
                 (def kept-in-map {:fs (pair) :g (through-a-value)})";
    printed(&mut e, setup);
    // Functions watched from here: they are freed once nothing refers to them (a pair, and a
    // cycle that goes through a function captured by value).
    let watched: Vec<std::rc::Weak<polyglot::runtime::value::Closure>> = match e
        .eval("<watched>", "(conj (pair) (through-a-value))")
        .result
    {
        Ok(Value::Vector(fg)) => fg
            .iter()
            .map(|f| match f {
                Value::Func(k) => std::rc::Rc::downgrade(k),
                _ => panic!("a function"),
            })
            .collect(),
        _ => panic!("a vector"),
    };
    let churn = "(dotimes [i 1000000] ((first (pair)) 3))
                 (dotimes [i 10000] ((three) 4) ((through-a-value) 3))
                 :ok";
    assert_eq!(printed(&mut e, churn), ":ok");
    sweep();
    assert!(
        watched.iter().all(|w| w.upgrade().is_none()),
        "the pair is freed"
    );
    // The dropped ones are gone; the ones still held (through either function) still work.
    assert!(noted() <= 810, "noted cells: {}", noted());
    for (code, want) in [
        (
            "(count (filter (fn [[f g]] (and (= (f 4) :even) (= (g 4) :odd))) kept))",
            "100",
        ),
        ("(count (filter (fn [g] (= (g 5) :even)) kept-g))", "100"),
        ("[(kept-3 0) (kept-3 1) (kept-3 5)]", "[:a :b :c]"),
        (
            "[((first (:fs kept-in-map)) 2) ((:g kept-in-map) 7)]",
            "[:even :z]",
        ),
    ] {
        assert_eq!(printed(&mut e, code), want, "{code}");
    }
}
