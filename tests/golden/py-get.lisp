;; (get obj key) is obj[key] on Python objects; on Lisp maps and vectors it is the usual lookup.
(def np ($py "numpy"))

(def d (py-eval "{'a': 1, 'b': [10, 20], 3: 'three', (1, 2): 'pair'}"))
(prn (get d "a"))
(println (get d "b"))
(prn (get d 3))
(prn (get d (py-eval "(1, 2)")))

;; A default is returned when the key or index is missing (KeyError / IndexError).
(prn (get d "zzz" :missing))
(prn (get (py-eval "[1, 2]") 5 :out-of-range))

;; Without a default, a missing key is Python's KeyError.
(prn (try (get d "zzz") (catch KeyError e (list (error-type e) (error-message e)))))

;; Lists and tuples, with Python's negative indices.
(def xs (py-eval "[10, 20, 30]"))
(prn (get xs 0) (get xs -1))
(prn (get (py-eval "('x', 'y')") 1))

;; NumPy arrays: an element, a row, an element of a row.
(def a (np.arange 6))
(prn (get a 4))
(def m (a.reshape 2 3))
(println (get m 1))
(prn (get (get m 1) 2))
(println (get a (py-eval "slice(1, 4)")))

;; Strings coming from Python are Lisp strings; (get) on Lisp values is unchanged.
(prn (get {:a 1} :a))
(prn (get [1 2 3] 1))
(prn (get {:a 1} :b "default"))
