;; An uncaught throw, raised two calls deep: the Lisp stack shows the way there.
(defn check-age (n)
  (if (< n 0)
    (throw "age cannot be negative")
    n))

(defn make-person (name age)
  {:name name :age (check-age age)})

(prn (make-person "Ada" 36))
(prn (make-person "Bob" -1))
