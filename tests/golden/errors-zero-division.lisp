;; Division by zero is an error for integers and floats alike.
(prn (/ 10 4))
(prn (/ 10 0))
