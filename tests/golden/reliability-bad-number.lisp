;; A trailing or doubled `_` makes no number (Python: SyntaxError).
(prn 1_000)
(prn 1__000)
