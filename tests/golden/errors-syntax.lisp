;; A special form used wrongly is a SyntaxError.
(let [a 1 b] (+ a b))
