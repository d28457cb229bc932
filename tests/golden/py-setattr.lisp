;; (set! (. obj attr) v) and (set! obj.attr v) are setattr.
(py-exec "
class Account:
    def __init__(self, owner):
        self.owner = owner
        self.balance = 0
        self.meta = type('Meta', (), {})()
    def describe(self):
        return f'{self.owner}: {self.balance}'
")
(def acct ((py-eval "Account") "ada"))
(println (acct.describe))

(set! (. acct balance) 100)
(println (acct.describe))

(set! acct.balance (+ (->lisp acct.balance) 1))
(println (acct.describe))

;; A longer path sets the last attribute on the object before it.
(set! (. acct meta tag) "vip")
(prn (. acct meta tag))
(set! acct.meta.tag "gold")
(prn acct.meta.tag)

;; Any Lisp value can be stored; it is converted like an argument.
(set! acct.tags ["a" "b"])
(set! acct.info {:level 2})
(println (. acct tags) (. acct info))

;; A Lisp function stored as an attribute is callable from Python.
(set! acct.fmt (fn (a) (str "<" (. a owner) ">")))
(py-exec "def show(a):\n    return a.fmt(a)")
(prn ((py-eval "show") acct))

;; set! on a local works the same way.
(let [a ((py-eval "Account") "bob")]
  (set! a.balance 7)
  (println (a.describe)))

;; Setting an attribute Python refuses is Python's error.
(prn (try (set! (. 5 real) 6) (catch AttributeError e (error-type e))))
