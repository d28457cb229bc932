;; inc, dec, zero?, pos? and neg? run inline on machine numbers; everything else (big
;; integers, overflow, other types, Python numbers, a redefinition) means what it always meant.
(defn step (i) (inc i))
(defn back (i) (dec i))
(prn (step 41) (back 43) (step 1.5) (back -0.5))
(prn (step 9223372036854775807) (back -9223372036854775808))
(prn (step 100000000000000000000) (back 100000000000000000000))
(prn (map zero? [0 0.0 -0.0 1 -1 2.5]) (map pos? [0 3 -3 0.1 -0.1]) (map neg? [0 3 -3 0.1 -0.1]))
(defn count-down (n) (loop [i n acc 0] (if (zero? i) acc (recur (dec i) (inc acc)))))
(prn (count-down 100000))
(defn sign-of (x) (cond (pos? x) :pos (neg? x) :neg :else :zero))
(prn (map sign-of [5 -5 0 2.5 -2.5 0.0]))
(prn (try (inc "a") (catch e (error-message e))))
(prn (try (zero? nil) (catch e (error-message e))))
(prn (inc (py-eval "2**70")) (dec (py-eval "1.5")) (zero? (py-eval "0")))
;; A redefinition is honoured by code compiled before it.
(def inc (fn (x) (* x 10)))
(prn (step 4))
