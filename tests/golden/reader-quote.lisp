;; quote, quasiquote, unquote and unquote-splicing.

(prn 'x)
(prn '(a b c))
(prn (quote (a b c)))
(prn ''x)                          ; the reader turns 'x into (quote x)

(def n 5)
(def xs [1 2 3])
(prn `(n is ,n))
(prn `(xs ,xs spliced ,@xs))
(prn `[a ,(+ 1 2) ,@(map inc xs)])
(prn (quasiquote (1 (unquote (+ 1 1)) (unquote-splicing (list 3 4)))))
(prn `(empty ,@[] end))

;; Nested quasiquote: only the innermost unquote at the outer level is evaluated.
(prn `(1 `(2 ,(3 ,(+ 1 3)))))
