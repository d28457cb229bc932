;; A builtin given the wrong kind of value.
(defn average (xs)
  (/ (reduce + xs) (count xs)))

(println (average [1 2 3]))
(println (average [1 "2" 3]))
