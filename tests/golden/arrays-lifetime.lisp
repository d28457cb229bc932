;; The shared memory lives as long as either side uses it, whichever is dropped first.
(def np ($py "numpy"))
(def gc ($py "gc"))
;; The Lisp array goes away; NumPy's view keeps the memory.
(def nd (let [a (float64array [1 2 3])] (as-nd a [3] "float64")))
(gc.collect)
(dotimes [i 1000] (float64array 1000))
(println (np.sum nd) nd)
;; NumPy's array goes away (only the Lisp view refers to it); the view keeps it alive.
(def t (->lisp (np.arange 5.0)))
(gc.collect)
(dotimes [i 100] (np.ones 1000))
(prn t)
(println (py-handles))
