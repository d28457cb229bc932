;; Lists, vectors and maps, nested and printed.

(prn '(1 2 3))
(prn [1 2 3])
(prn {:a 1 :b 2})
(prn '() [] {})
(prn [1 [2 [3]] {:k [4 5]} '(6 (7))])

;; Elements of vector and map literals are evaluated; a quoted list is not.
(prn [(+ 1 2) (* 2 3)])
(prn {:sum (+ 1 2)})
(prn '(+ 1 2))

;; Maps keep insertion order when printed.
(prn {:z 1 :a 2 :m 3})
(prn {"str" 1 2 :two [1] "vec"})

(prn (type-of '(1)) (type-of [1]) (type-of {:a 1}))
(prn (list? '(1)) (vector? [1]) (map? {}))
