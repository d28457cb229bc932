;; Integers of any size, floats in every spelling the reader accepts.

(prn 42)
(prn -7)
(prn +5)
(prn 0)
(prn 123456789012345678901234567890)
(prn -98765432109876543210987654321)
(prn 1_000_000)                       ; underscores are ignored in numbers
(prn (type-of 42) (type-of 123456789012345678901234567890))

(prn 3.14)
(prn 1e-3)
(prn -2.5E10)
(prn .5 -.5 1.)
(prn 1E3)
(prn (type-of 3.14) (type-of 1e3))

;; A literal one past the largest 64-bit integer is still exact.
(prn 9223372036854775808)
(prn (- 9223372036854775808 1))
