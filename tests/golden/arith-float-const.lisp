;; A float local times (or plus, minus, compared with) a float constant runs inline; every
;; other kind of value takes the builtin's path, and a redefined operator is honoured.
(defn scale (acc) (* acc 0.5))
(prn (scale 3.0) (scale 3) (scale 1e308) (scale -0.0))
(defn fma (n) (loop [i 0 acc 0.0] (if (< i n) (recur (+ i 1) (+ (* acc 0.5) 1.5)) acc)))
(prn (fma 0) (fma 1) (fma 50))
(defn below (x) (< x 2.5))
(prn (below 2.0) (below 3.0) (below 2))
(prn (try (scale "x") (catch TypeError e (error-type e))))
(def * (fn (a b) "redefined"))
(prn (scale 3.0))
