;; `(if (not test) ...)` and comparisons of two locals as tests run inline; the results are
;; those of the builtins, for every kind of value, and a redefined `not` is honoured.
(defn pick (a b) (if (not (< a b)) "not less" "less"))
(prn (pick 1 2) (pick 2 1) (pick 1.5 2) (pick 2 1.5) (pick 3 3))
(defn truthy (x) (if (not x) "falsy" "truthy"))
(prn (truthy nil) (truthy false) (truthy 0) (truthy "") (truthy []))
(prn (truthy (py-eval "None")) (truthy (py-eval "False")) (truthy (. ($py "math") pi)))
(defn same (a b) (if (= a b) "same" "different"))
(prn (same 1 1) (same 1 2) (same 1 1.0) (same "a" "a"))
(prn (try (pick 1 "x") (catch TypeError e (error-type e))))
(def not (fn (x) "redefined"))
(prn (truthy nil))
