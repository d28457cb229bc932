;; A stray closing paren.
(defn add1 (x) (+ x 1)))
(println (add1 1))
