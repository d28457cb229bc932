;; Lisp functions passed to Python are Python callables.
(def builtins ($py "builtins"))
(def functools ($py "functools"))

;; sorted with a Lisp key function, a builtin, or a lambda.
(println (builtins.sorted ["pear" "fig" "banana"] :key count))
(println (builtins.sorted [3 -5 1 -2] :key (fn (x) (* x x))))
(println (builtins.sorted [3 -5 1 -2] :key abs :reverse true))

;; Python's map and filter calling Lisp functions.
(println (builtins.list (builtins.map (fn (x) (* x 10)) [1 2 3])))
(println (builtins.list (builtins.map + [1 2 3] [10 20 30])))
(println (builtins.list (builtins.filter odd? (builtins.range 10))))
(prn (functools.reduce (fn (acc x) (+ (* acc 10) x)) [1 2 3 4]))

;; Keyword arguments from Python arrive as a trailing map.
(py-exec "def call_kw(f):\n    return f(1, 2, mode='fast')")
(prn (->lisp ((py-eval "call_kw") (fn (a b opts) [a b opts]))))

;; Python keeps the callable and calls it later, from another request.
(py-exec "
handlers = []
def register(f):
    handlers.append(f)
def fire(x):
    return [h(x) for h in handlers]
")
(def register (py-eval "register"))
(register (fn (x) (* x 2)))
(register (fn (x) (str "got " x)))
(register str)
(println ((py-eval "fire") 21))

;; Closures keep their state; callbacks may call Python again.
(def total 0)
(register (fn (x) (set! total (+ total x)) ((. ($py "math") sqrt) total)))
(println ((py-eval "fire") 16))
(prn total)

;; A callback can return Python objects, or Lisp collections (converted).
(println ((py-eval "lambda f: f()") (fn () {:made "in lisp"})))
(println ((py-eval "lambda f: type(f())") (fn () (->py [1]))))
