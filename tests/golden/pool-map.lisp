;; pool-map: the results of f over the items, in order, as a vector; with-worker pins its body's
;; calls to one worker. Same results on every backend.
(def m ($py "math"))
(prn (pool-map m.sqrt [1 4 9 16]))
(prn (pool-map (fn (x y) (* x y)) [1 2 3] [10 20 30]))
(py-exec "def slow_square(n):\n    return sum(n for _ in range(n))")
(def slow-square (py-eval "slow_square"))
(prn (pool-map slow-square (range 6)))
(prn (pool-map (fn (n) (+ 1 (slow-square n))) [3 4]))
(prn (with-worker 0 (slow-square 12)))
(prn (try (with-worker -1 1) (catch ValueError e (error-message e))))
(prn (try (pool-map (py-eval "lambda x: 10 // x") [5 0 1]) (catch ZeroDivisionError e (error-type e))))
