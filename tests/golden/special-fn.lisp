;; fn and defn: both parameter styles, rest parameters, doc strings, closures.

(prn ((fn (a b) (* a b)) 3 4))
(prn ((fn [a b] (* a b)) 3 4))
(prn ((fn [] :no-params)))

;; & marks a rest parameter: the remaining arguments as a list (nil when none).
(prn ((fn (a & more) [a more]) 1 2 3))
(prn ((fn [a & more] [a more]) 1))
(prn ((fn [& all] all) 1 2))

(defn square (x) (* x x))
(defn cube [x] (* x x x))
(defn describe (x)
  "A doc string comes before the body."
  (str "x is " x))
(prn (square 7) (cube 3) (describe 1))

(defn total (& xs) (reduce + 0 xs))
(prn (total) (total 1 2 3 4))

;; Functions are values: stored, passed and returned.
(def ops [square cube])
(prn (map (fn [f] (f 2)) ops))
(defn adder (n) (fn (x) (+ x n)))
(def add10 (adder 10))
(prn (add10 5))
(prn ((adder 1) 1))
(prn (fn? square) (type-of square))

;; The body is an implicit do; the last value is returned.
(defn noisy (x) (println "computing") (* 2 x))
(prn (noisy 21))
