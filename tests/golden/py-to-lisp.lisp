;; (->lisp h): deep conversion. Lists and tuples become vectors, dicts become maps, scalars
;; become Lisp values, at every depth.
(prn (->lisp (py-eval "[1, 2, 3]")))
(prn (->lisp (py-eval "(1, 'two', 3.0)")))
(prn (->lisp (py-eval "{'a': 1, 'b': None}")))
(prn (->lisp (py-eval "[1, (2, 3), {'k': [4, {'deep': True}]}, 'x']")))
(prn (->lisp (py-eval "{1: 'one', None: 'none', 'n': {'m': (1,)}}")))
(prn (->lisp (py-eval "[]")) (->lisp (py-eval "()")) (->lisp (py-eval "{}")))
(prn (->lisp (py-eval "[[1, 2], [3, 4]]")))

;; The results are ordinary Lisp values.
(def v (->lisp (py-eval "[3, 1, 2]")))
(prn (vector? v) (sort v) (conj v 4))
(def m (->lisp (py-eval "{'x': 1, 'y': 2}")))
(prn (map? m) (get m "x") (assoc m "z" 3))

;; Objects with no Lisp counterpart stay handles inside the converted value.
(def mixed (->lisp (py-eval "[1, {2, 3}]")))
(prn (first mixed))
(println (get mixed 1))

;; Lisp values pass through unchanged.
(prn (->lisp 5) (->lisp "s") (->lisp [1 2]) (->lisp {:a 1}) (->lisp nil))

;; A lazy chain is run first.
(prn (->lisp (. ($py "sys") version_info major)))
