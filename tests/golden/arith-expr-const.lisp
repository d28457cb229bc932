;; An operand that is an expression (not a local) with a number constant, `(+ (* a b) 1)`,
;; runs inline on machine numbers; overflow, big integers, mixed kinds, other types and a
;; redefined operator take the builtin's path, as always.
(defn affine (a b) (+ (* a b) 1))
(defn halve-plus (a) (+ (* a 0.5) 1.5))
(defn below (a b) (< (- a b) 10))
(prn (affine 6 7) (affine 2.5 2) (affine 4611686018427387904 2) (affine 3037000499 3037000499))
(prn (halve-plus 3.0) (halve-plus 3) (halve-plus 1e308) (halve-plus -0.0))
(prn (below 15 10) (below 25 10) (below 15.5 10) (below 100000000000000000000 1))
(prn (- (* 9223372036854775807 1) -1) (* (+ 1 2) 3000000000000000000000))
(prn (try (affine "x" 2) (catch e (error-type e))))
(defn fma (n) (loop [i 0 acc 0.0] (if (< i n) (recur (+ i 1) (+ (* acc 0.999999) 1.5)) acc)))
(prn (fma 1000))
(def + (fn (a b) (list "redefined" a b)))
(prn (affine 6 7) (halve-plus 3.0))
