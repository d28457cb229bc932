;; Lisp and Python calling each other recursively: deep enough, Python's recursion limit is a
;; clean RecursionError (regression: pyo3 once deadlocked creating its exception type there).
(def call ((py-eval "lambda: (lambda g, n: g(n))")))
(defn f (n) (if (= n 0) 0 (+ 1 (call f (- n 1)))))
(println (f 100))
(println (try (f 5000) (catch e (error-type e))))
(println (try (f 5000) (catch RecursionError e "caught by class")))
(println (f 10))
