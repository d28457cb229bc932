;; error-type is the Python exception's class name, error-message its str().
(defn describe (thunk)
  (try (thunk) (catch e [(error-type e) (error-message e)])))

(prn (describe (fn () (py-eval "1 / 0"))))
(prn (describe (fn () (py-eval "int('abc')"))))
(prn (describe (fn () (py-eval "{'a': 1}['b']"))))
(prn (describe (fn () (py-eval "[1, 2][5]"))))
(prn (describe (fn () (py-eval "undefined_name"))))
(prn (describe (fn () (py-eval "None.attr"))))
(prn (describe (fn () (py-eval "'a' + 1"))))
(prn (describe (fn () (py-exec "raise RuntimeError('custom message')"))))
(prn (describe (fn () ((. ($py "builtins") int) "x"))))
(prn (describe (fn () ((. ($py "json") loads) "[1,"))))

;; Attribute chains and imports are lazy: they raise when they are used (here by ->py).
(prn (describe (fn () (->py (. ($py "math") no_such_function)))))
(prn (describe (fn () (->py ($py "no_such_module_at_all")))))
(prn (describe (fn () (->py (. ($py "no_such_module_at_all") attr)))))

;; An exception with no message.
(prn (describe (fn () (py-exec "raise ValueError"))))

;; A Lisp error, for comparison.
(prn (describe (fn () (throw "plain Lisp error"))))
