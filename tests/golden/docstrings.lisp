;; Docstrings: (def name "doc" value), (defn name "doc" (params) ...), (defmacro name "doc" ...),
;; read back with (doc 'name); builtins carry their own.
(def limit "The largest size we accept." 100)
(defn area "The area of a w by h rectangle." (w h) (* w h))
(defmacro twice "Evaluates the body twice." (& body) `(do ,@body ,@body))
(prn (doc 'limit))
(prn (doc 'area) (area 3 4))
(prn (doc 'twice))
(prn (doc 'count))
(prn (doc 'when))
(prn (doc 'no-such-thing))
;; A string after the parameters, with more forms after it, is the doc string too (as in Hy,
;; Common Lisp and Python); alone, it is the body (the function's value).
(defn f (x) "a docstring" x)
(prn (doc 'f) (f 1))
(defn g (x) "the value")
(prn (doc 'g) (g 1))
