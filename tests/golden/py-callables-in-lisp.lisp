;; Python callables are Lisp functions too: map, reduce, apply, sort-by, comp, py-call.
(def np ($py "numpy"))
(def math ($py "math"))
(def builtins ($py "builtins"))

(prn (map np.sqrt [1 4 9]))
(prn (map math.floor [1.5 2.5 -0.5]))
(prn (reduce np.add [1 2 3]))
(prn (reduce builtins.max [3 9 2]))
(prn (apply np.maximum [3 7]))
(prn (apply builtins.pow [2 10]))
(prn (sort-by np.abs [-3 1 -2]))
(prn (count (filter builtins.callable [math.floor 1 "s" inc])))
(prn ((comp np.sqrt inc) 8))
(prn (py-call math.pow 2 10))
(prn (py-call builtins.round 2.567 :ndigits 1))
(prn (apply py-call builtins.round [3.14159 2]))

;; A chain kept in a variable is called like a function.
(def norm (. np linalg norm))
(prn (norm [6 8]))
(prn (map norm [[3 4] [5 12]]))

;; Bound methods, too.
(def words (->py []))
(dotimes [i 3] (words.append (str "w" i)))
(def push words.append)
(push "last")
(println words)
