;; (->py v): a Lisp value as a Python object handle.
(def show (py-eval "lambda x: type(x).__name__ + ' ' + repr(x)"))

(def lst (->py [3 1 2]))
(prn (type-of lst))
(println lst)
(prn (show lst))

;; The handle is a real Python list: methods mutate it in place.
(lst.sort)
(lst.append 4)
(println lst)
(prn (->lisp lst))

;; Maps become dicts; keyword keys become strings.
(def d (->py {:name "Ada" :age 36}))
(prn (type-of d))
(prn (get d "name"))
(prn (vec (d.keys)))

;; Scalars as handles.
(println (show (->py 42)) "/" (show (->py "s")) "/" (show (->py nil)) "/" (show (->py 1.5)))

;; A handle given to ->py is returned as it is.
(def same? (py-eval "lambda a, b: a is b"))
(prn (same? (->py lst) lst))

;; Round trip.
(prn (->lisp (->py [1 [2 {:k "v"}] nil true])))
