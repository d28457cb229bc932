//! Python semantics at the seams (CONTRACT "Python semantics at the seams"): every operator and
//! collection builtin on Lisp operands and on Python operands, through the Engine. Each row is
//! an expression and what it prints; the Python rows are what Python itself gives. The parts
//! that use Python run from one test: the embedded CPython belongs to the thread that started it.

use polyglot::{Engine, EngineConfig, Recorder};
use std::sync::Arc;

fn check(engine: &mut Engine, rows: &[(&str, &str)]) -> Vec<String> {
    let mut bad = Vec::new();
    for (expr, want) in rows {
        let out = engine.eval("<row>", expr);
        let got = match (&out.printed, out.error()) {
            (Some(p), None) => p.clone(),
            (_, Some(e)) => format!("error {}: {}", e.kind.type_name(), e.message),
            (None, None) => "<nothing>".into(),
        };
        if got != *want {
            bad.push(format!("{expr}\n    want {want}\n    got  {got}"));
        }
    }
    bad
}

const LISP: &[(&str, &str)] = &[
    ("(floor-div 7 2)", "3"),
    ("(floor-div -7 2)", "-4"),
    ("(floor-div 7.5 2)", "3.0"),
    (
        "(floor-div 1 0)",
        "error ZeroDivisionError: integer division or modulo by zero",
    ),
    ("(bit-and 12 10)", "8"),
    ("(bit-or 12 10 1)", "15"),
    ("(bit-xor 12 10)", "6"),
    ("(bit-not 5)", "-6"),
    ("(bit-shift-left 1 70)", "1180591620717411303424"),
    ("(bit-shift-right -9 1)", "-5"),
    (
        "(bit-shift-right 1 -1)",
        "error ValueError: negative shift count",
    ),
    (
        "(bit-and 1.5 1)",
        "error TypeError: `bit-and` needs integers, got float 1.5",
    ),
    ("(identical? nil nil)", "true"),
    ("(identical? [1] [1])", "false"),
    ("(let [v [1]] (identical? v v))", "true"),
    ("(truthy? 0)", "false"),
    ("(truthy? \"\")", "false"),
    ("(truthy? [])", "false"),
    ("(truthy? [0])", "true"),
    ("(truthy? nil)", "false"),
    ("(count (hash-map 100000000000000000000 1 1e20 2))", "1"),
];

const PYTHON: &[(&str, &str)] = &[
    ("(def np ($py \"numpy\"))", "np"),
    ("(str (+ (np.arange 3) 1))", "\"[1 2 3]\""),
    ("(str (+ 1 (np.arange 3)))", "\"[1 2 3]\""),
    ("(str (- (np.arange 3)))", "\"[ 0 -1 -2]\""),
    ("(str (* (np.arange 3) (np.arange 3)))", "\"[0 1 4]\""),
    ("(str (/ (np.arange 3) 2))", "\"[0.  0.5 1. ]\""),
    ("(str (floor-div (np.arange 5) 2))", "\"[0 0 1 1 2]\""),
    ("(str (mod (np.arange 5) 2))", "\"[0 1 0 1 0]\""),
    ("(str (pow (np.arange 4) 2))", "\"[0 1 4 9]\""),
    ("(str (< (np.arange 4) 2))", "\"[ True  True False False]\""),
    (
        "(str (>= (np.arange 4) 2))",
        "\"[False False  True  True]\"",
    ),
    ("(str (= (np.arange 3) 1))", "\"[False  True False]\""),
    ("(str (not= (np.arange 3) 1))", "\"[ True False  True]\""),
    (
        "(str (bit-and (< (np.arange 4) 3) (> (np.arange 4) 0)))",
        "\"[False  True  True False]\"",
    ),
    (
        "(str (bit-not (< (np.arange 3) 1)))",
        "\"[False  True  True]\"",
    ),
    ("(str (matmul (np.eye 2) (np.ones 2)))", "\"[1. 1.]\""),
    ("(str (inc (np.arange 2)))", "\"[1 2]\""),
    ("(py-exec \"from fractions import Fraction as F\")", "nil"),
    ("(= (py-eval \"F(1, 2)\") (py-eval \"F(2, 4)\"))", "true"),
    ("(< (py-eval \"F(1, 3)\") (py-eval \"F(1, 2)\") 1)", "true"),
    ("(str (+ (py-eval \"F(1, 3)\") 1))", "\"4/3\""),
    ("(str (+ (py-eval \"[1]\") [2 3]))", "\"[1, 2, 3]\""),
    (
        "(+ (py-eval \"object()\") 1)",
        "error TypeError: unsupported operand type(s) for +: 'object' and 'int'",
    ),
    ("(identical? (py-eval \"None\") nil)", "true"),
    ("(truthy? (py-eval \"[]\"))", "false"),
    ("(truthy? (py-eval \"[0]\"))", "true"),
    ("(def m ((. (np.arange 12) reshape) 3 4))", "m"),
    ("(get m [2 3])", "11"),
    ("(str (get m [(slice) 1]))", "\"[1 5 9]\""),
    ("(str (get (np.arange 10) (slice 1 8 3)))", "\"[1 4 7]\""),
    (
        "(str (get (np.arange 10) (slice nil nil -4)))",
        "\"[9 5 1]\"",
    ),
    (
        "(str (get m (list 0 2)))",
        "\"[[ 0  1  2  3]\\n [ 8  9 10 11]]\"",
    ),
    ("(get (py-eval \"{'a': 1}\") \"b\" :missing)", ":missing"),
    ("(get (py-eval \"[1]\") 5 :missing)", ":missing"),
    ("(def a (np.arange 5))", "a"),
    ("(do (set! (get a (< a 2)) 0) (str a))", "\"[0 0 2 3 4]\""),
    ("(def d (py-eval \"{'a': 1, 'b': 2}\"))", "d"),
    (
        "(do (set! (get d \"c\") 3) (del (get d \"a\")) (str d))",
        "\"{'b': 2, 'c': 3}\"",
    ),
    ("(count d)", "2"),
    ("(contains? d \"b\")", "true"),
    ("(contains? d \"a\")", "false"),
    ("(keys d)", "(\"b\" \"c\")"),
    ("(vals d)", "(2 3)"),
    ("(first (py-eval \"[7, 8]\"))", "7"),
    ("(nth (py-eval \"(7, 8)\") 1)", "8"),
    ("(nth (py-eval \"iter([7, 8])\") 1)", "8"),
    ("(empty? (py-eval \"[]\"))", "true"),
    ("(str (assoc d \"z\" 26))", "\"{'b': 2, 'c': 3, 'z': 26}\""),
    ("(str d)", "\"{'b': 2, 'c': 3}\""),
    ("(str (dissoc d \"b\" \"nope\"))", "\"{'c': 3}\""),
    ("(str (conj (py-eval \"[1]\") 2 3))", "\"[1, 2, 3]\""),
    ("(str (conj (py-eval \"(1,)\") 2))", "\"(1, 2)\""),
    ("(str (conj d [\"q\" 0]))", "\"{'b': 2, 'c': 3, 'q': 0}\""),
    ("(count (py-eval \"(x for x in range(4))\"))", "4"),
    (
        "(py-exec \"class Obj: pass\\nobj = Obj()\\nobj.x = 1\")",
        "nil",
    ),
    (
        "(do (del (. (py-eval \"obj\") x)) (py-eval \"hasattr(obj, 'x')\"))",
        "false",
    ),
    (
        "((. ($py \"json\") dumps) {\"b\" 1 \"a\" 2} :sort-keys true)",
        "\"{\\\"a\\\": 2, \\\"b\\\": 1}\"",
    ),
    ("(str (np.zeros 2 :dtype int))", "\"[0 0]\""),
    (
        "(str ((. ($py \"collections\") defaultdict) int))",
        "\"defaultdict(<class 'int'>, {})\"",
    ),
    (
        "(str ((. ($py \"collections\") defaultdict) list))",
        "\"defaultdict(<class 'list'>, {})\"",
    ),
    ("(str (tuple [1 2]))", "\"(1, 2)\""),
    ("(str (dict :a 1))", "\"{'a': 1}\""),
    ("(str (get (np.ones [2 2]) [Ellipsis 0]))", "\"[1. 1.]\""),
    (
        "(set! (get [1 2] 0) 5)",
        "error TypeError: `set!` of an item needs a Python object, got vector [1 2]",
    ),
];

#[test]
fn operators_and_collections_on_lisp_values() {
    let mut e = Engine::new(EngineConfig {
        python_enabled: false,
        ..EngineConfig::default()
    })
    .unwrap();
    let bad = check(&mut e, LISP);
    assert!(
        bad.is_empty(),
        "{} rows differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

fn operators_indexing_and_collections_on_python_values() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.set_output(Arc::new(Recorder::default()));
    let bad = check(&mut e, PYTHON);
    assert!(
        bad.is_empty(),
        "{} rows differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

fn a_lisp_function_where_python_wants_a_type_gets_a_hint() {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    let out = e.eval("<hint>", "((. ($py \"numpy\") zeros) 3 :dtype (fn [x] x))");
    let err = out
        .error()
        .expect("numpy refuses a Lisp function as a dtype");
    assert_eq!(err.kind.type_name(), "TypeError");
    assert!(
        err.help.as_deref().unwrap_or("").contains("Python type"),
        "{:?}",
        err.help
    );
}

#[test]
fn python_semantics() {
    operators_indexing_and_collections_on_python_values();
    a_lisp_function_where_python_wants_a_type_gets_a_hint();
}
