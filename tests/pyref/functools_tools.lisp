;; functools: reduce, partial, lru_cache (on Python and on Lisp functions), cmp_to_key.
(def functools ($py "functools"))
(def operator ($py "operator"))
(def builtins ($py "builtins"))

(println (functools.reduce operator.mul [1 2 3 4 5]))
(println (functools.reduce (fn (acc x) (+ (* acc 10) x)) [1 2 3] 0))
(println (functools.reduce operator.add ["a" "b" "c"] ">"))
(println (functools.reduce + (builtins.range 101)))

(def from-binary (functools.partial int :base 2))
(println (from-binary "1011") (from-binary "11111111"))
(println (. from-binary keywords))
(def power-of-two (functools.partial operator.pow 2))
(println (power-of-two 10) (. power-of-two args))
(def shout (functools.partial (. "{}! {}!" format) "hey"))
(println (shout "you"))

(py-exec "
from functools import lru_cache

@lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
")
(def fib (py-eval "fib"))
(println (fib 80))
(println (fib.cache-info))
(fib.cache-clear)
(println (fib.cache-info))
(println (builtins.list (builtins.map fib (builtins.range 12))))
(println (fib.cache-info))

(def square ((functools.lru-cache :maxsize 2) (fn (x) (* x x))))
(println (square 4) (square 4) (square 5) (square 6) (square 4))
(println (square.cache-info))

(println (builtins.sorted [3 1 2] :key (functools.cmp-to-key (fn (a b) (- b a)))))
(println (builtins.sorted ["bb" "a" "ccc"] :key count :reverse true))
