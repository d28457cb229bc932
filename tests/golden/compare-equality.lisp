;; Comparison chains and equality semantics.

(prn (< 1 2 3) (< 1 3 2) (< 1 1))
(prn (> 3 2 1) (> 3 3))
(prn (<= 1 1 2) (>= 3 3 1) (>= 1 2))
(prn (< 1 1.5 2) (< 1 (pow 2 70)))
(prn (> 5))                        ; one argument is trivially ordered

;; = compares values, not identity. 1 equals 1.0, as in Python.
(prn (= 1 1) (= 1 1.0) (= 1 1.0 1))
(prn (= 1 2) (= 1 "1"))
(prn (= "abc" "abc") (= :k :k) (= 'a 'a))
(prn (= [1 2] [1 2]) (= [1 2] '(1 2)))    ; a list equals a vector with the same items
(prn (= [1 [2]] [1 '(2)]))
(prn (= {:a 1 :b 2} {:b 2 :a 1}))
(prn (= nil nil) (= nil false) (= false false))
(prn (not= 1 2) (not= 1 1.0))

;; not: only nil and false are falsy.
(prn (not nil) (not false))
(prn (not 0) (not "") (not []) (not true))
