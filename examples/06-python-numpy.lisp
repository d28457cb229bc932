;; Python from the Lisp: modules, attribute chains, keyword arguments, callbacks, and typed
;; arrays that NumPy sees without a copy.

(def np ($py "numpy"))
(def json ($py "json"))

;; A fused chain: import numpy → getattr linspace → call, in one request.
(def xs (np.linspace 0 1 :num 5))
(println "linspace:" xs)
(println "sum:" (np.sum xs) "max:" ((. xs max)))

;; Lisp data becomes Python data and back.
(def doc (json.dumps {:name "polyglot" :tags ["lisp" "python"]} :sort_keys true))
(println doc)
(prn (->lisp (json.loads doc)))

;; A Lisp function as a Python callable.
(def builtins ($py "builtins"))
(println (builtins.sorted ["pear" "fig" "banana"] :key (fn (s) (count s))))

;; Typed arrays share memory with NumPy: write on one side, read on the other.
(def a (float64array [1 2 3 4 5 6]))
(def m (as-nd a [2 3] "float64"))
(aset! a 0 10)
(println "matrix:" m)
(println "column sums:" (np.sum m :axis 0))

;; Python errors are Lisp errors, caught by class.
(println (try (json.loads "{oops")
              (catch ValueError e (str (error-type e) ": " (error-message e)))))
