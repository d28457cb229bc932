;; Floats print like Python's repr: always a `.` or an exponent.

(prn 10.0)
(prn 100.0 -3.0 0.0 -0.0)
(prn 0.1 0.5 2.25)
(prn (+ 0.1 0.2))
(prn 1e-3 1e-4 1e-5 1.5e-7)
(prn 1e15 1e16 1e22)
(prn 123456789.0 123456789.125)
(prn 12345678901234567890.0)
(prn (float 7) (float 123456789012345678901234567890))
(prn (* 2 3.0) (/ 9.0 2))
(prn (* 1e308 10) (- (* 1e308 10)))
;; println and str use the same digits.
(println 10.0 1e-05 (str 2.5 "|" 1e100))
