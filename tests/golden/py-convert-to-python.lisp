;; Lisp values passed to Python: the conversion table, one row at a time. `show` reports the
;; Python type and repr of what it receives.
(def show (py-eval "lambda x: type(x).__name__ + ' ' + repr(x)"))

(println (show nil))
(println (show true))
(println (show false))
(println (show 42))
(println (show -7))
(println (show 0))
(println (show 9223372036854775807))
(println (show 9223372036854775808))
(println (show 123456789012345678901234567890))
(println (show -123456789012345678901234567890))
(println (show 3.5))
(println (show 10.0))
(println (show -0.0))
(println (show 1e100))
(println (show "text"))
(println (show "héllo\n\t\"q\""))
(println (show ""))
(println (show [1 2 3]))
(println (show '(1 2 3)))
(println (show []))
(println (show [1 [2 [3]] "s" nil]))
(println (show {:a 1}))
(println (show {"s" 1 2 "two" nil false}))
(println (show {:outer {:inner [1 2]}}))
(println (show :kw))

;; A Lisp function becomes a Python callable.
(def call-with-3 (py-eval "lambda f: f(3)"))
(println (show (call-with-3 (fn (x) (* x x)))))
(println (show (call-with-3 inc)))

;; A handle becomes its object again.
(def obj (py-eval "object()"))
(prn ((py-eval "lambda a, b: a is b") obj obj))
