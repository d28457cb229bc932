;; `/` gives an exact integer when two integers divide, else a float.

(prn (/ 6 3))
(prn (/ 7 2))
(prn (/ 1 3))
(prn (/ -9 3))
(prn (/ 6.0 3))
(prn (/ 100 10 5))
(prn (/ 2))                        ; one argument: 1/x
(prn (/ (pow 10 30) 7))
(prn (type-of (/ 6 3)) (type-of (/ 7 2)))

;; Dividing by zero is always an error, also for floats (as in Python).
(defn try-div (a b)
  (try (/ a b)
       (catch e (str (error-type e) ": " (error-message e)))))
(prn (try-div 1 0))
(prn (try-div 1.0 0))
(prn (try-div 0.0 0.0))

;; mod has the sign of the divisor (Python's %); rem of the dividend; quot truncates.
(prn (mod 7 3) (mod -7 3) (mod 7 -3) (mod 7.5 2))
(prn (rem 7 3) (rem -7 3) (rem 7 -3))
(prn (quot 7 2) (quot -7 2))
(prn (try (mod 1 0) (catch e (error-message e))))

;; Arithmetic identities and mixed int/float.
(prn (+) (*) (- 5) (- 10 1 2))
(prn (+ 1 2.0) (* 2 3.5) (- 1 0.5))
(prn (+ 0.1 0.2))
