;; Integer arithmetic never overflows: it promotes to big integers, as in Python.

(def max64 9223372036854775807)
(def min64 -9223372036854775808)
(prn (+ max64 1))
(prn (- min64 1))
(prn (* max64 2))
(prn (* max64 max64))
(prn (- min64))
(prn (abs min64))
(prn (inc max64))
(prn (dec min64))
(prn (pow 2 64) (pow 2 100))
(prn (* 99999999999 99999999999 99999999999))

;; Big results shrink back to small ones transparently.
(prn (- (+ max64 1) 1))
(prn (= (- (+ max64 1) 1) max64))
(prn (/ (pow 10 30) (pow 10 28)))
(prn (mod (pow 2 100) 7))
(prn (type-of (pow 2 100)) (int? (pow 2 100)))

;; Factorial of 30 does not fit in 64 bits.
(defn fact (n) (if (< n 2) 1 (* n (fact (- n 1)))))
(prn (fact 20))
(prn (fact 30))
(prn (< (fact 30) 1e40) (> (fact 30) (fact 20)))
