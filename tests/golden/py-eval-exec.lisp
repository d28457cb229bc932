;; py-eval evaluates an expression, py-exec runs statements; both use one shared namespace.
(prn (py-exec "x = 20\ny = 22"))
(prn (py-eval "x + y"))

(py-exec "
def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
")
(prn (py-eval "fib(10)"))
(def fib (py-eval "fib"))
(prn (fib 90))

;; Imports made by py-exec stay available to later py-eval and py-exec.
(py-exec "import math")
(prn (py-eval "math.floor(math.pi * 100)"))

;; State set by one py-exec is seen by the next.
(py-exec "counter = 0")
(dotimes [i 5] (py-exec "counter += 1"))
(prn (py-eval "counter"))

;; Functions defined there see the namespace's globals.
(py-exec "scale = 3\ndef scaled(v):\n    return v * scale")
(def scaled (py-eval "scaled"))
(prn (scaled 5))
(py-exec "scale = 10")
(prn (scaled 5))

;; Results convert like any Python value.
(prn (py-eval "None"))
(prn (py-eval "'text'"))
(println (py-eval "[i * i for i in range(5)]"))
(prn (->lisp (py-eval "{'a': (1, 2)}")))

;; Syntax errors are Python's.
(prn (try (py-eval "1 +") (catch SyntaxError e (error-type e))))
(prn (try (py-exec "def broken(:") (catch SyntaxError e (error-type e))))
