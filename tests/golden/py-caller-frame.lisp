;; Python code that looks at its caller's frame (pandas' query and eval use sys._getframe)
;; finds one: calls are made from a Python frame on every backend.
(def pd ($py "pandas"))
(def df (pd.DataFrame {"a" [1 2 3] "b" [4 5 6]}))
(println ((. df query) "a > 1"))
(println (->lisp ((. ((. df eval) "a + b") tolist))))
(def caller (py-eval "lambda: __import__('sys')._getframe(1) is not None"))
(println ((. caller __call__)))
