;; Integers of any size cross the bridge both ways without loss.
(def ident (py-eval "lambda x: x"))
(def show (py-eval "lambda x: type(x).__name__ + ' ' + str(x)"))

(def big 123456789012345678901234567890)
(prn (ident big))
(prn (= big (ident big)))
(println (show big))
(println (show (- big)))
(println (show (* big big)))

;; Around the 64-bit boundary.
(prn (ident 9223372036854775807))
(prn (ident 9223372036854775808))
(prn (ident -9223372036854775808))
(prn (ident -9223372036854775809))

;; Python big ints come back as Lisp big ints and keep working in Lisp arithmetic.
(def p (py-eval "2**100"))
(prn p)
(prn (type-of p))
(prn (+ p 1))
(prn (/ p (py-eval "2**98")))
(prn (- p p))

;; Python does the arithmetic on Lisp big ints.
(prn ((py-eval "lambda a, b: a * b") big big))
(prn ((py-eval "lambda n: n.bit_length()") (* big big)))
(prn ((. ($py "math") factorial) 25))
