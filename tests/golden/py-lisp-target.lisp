;; A Lisp value used as the target of `.` is converted to Python first.
(println ((. "a,b" split) ","))
(prn (->lisp ((. "a,b,c" split) ",")))
(prn ((. "hello" upper)))
(prn ((. "{} + {} = {}" format) 1 2 3))
(prn ((. "  padded  " strip)))
(prn ((. "abc" startswith) "ab"))
(prn ((. [3 1 2] index) 1))
(prn ((. [1 1 2] count) 1))
(prn ((. {:a 1} get) "a"))
(prn ((. {:a 1} get) "b" "none"))
(prn (. 5 real) (. 2.5 imag))
(prn ((. 255 to_bytes) 2 "big"))
(prn (. nil __class__ __name__))
(prn ((. ", " join) ["x" "y" "z"]))

;; Also through a binding, with dotted symbols.
(def csv-line "1;2;3")
(prn (map (fn (s) (int s)) (csv-line.split ";")))
