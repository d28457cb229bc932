;; Code is data: read-string, eval, quote.

(def form (read-string "(+ 1 2 3)"))
(prn form (type-of form) (first form))
(prn (eval form))
(prn (eval (list '* 6 7)))
(prn (eval `(let [x 10] (* x ,(+ 1 1)))))
(prn (read-string "[a :b \"c\" 1.5]"))
(prn (read-string "first-form second-form"))   ; only the first form is read
(prn (read-string ""))
(eval '(def made-by-eval :yes))
(prn made-by-eval)
