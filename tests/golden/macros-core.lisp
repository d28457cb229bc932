;; The prelude's macros: when unless cond dotimes doseq -> ->> if-let when-let comment.

(prn (when true (println "when runs its body") :done))
(prn (when false (throw "not run")))
(prn (unless false :ran))
(prn (unless true :not-ran))
(prn (if-not false :then :else) (when-not nil :yes))

(defn sign (n)
  (cond (< n 0) :negative
        (= n 0) :zero
        :else   :positive))
(prn (map sign [-5 0 5]))
(prn (cond false 1 nil 2))          ; no clause matches: nil
(prn (cond))

(dotimes [i 3] (println "dotimes" i))
(dotimes (i 2) (println "list-style spec" i))
(dotimes [i 0] (println "never"))

(doseq [x [:a :b]] (prn x))
(doseq [x '(1 2)] (print (str x ";")))
(println)

;; Threading: -> puts the value first in each form, ->> last.
(prn (-> 5 (- 2) (* 10)))           ; (* (- 5 2) 10)
(prn (->> 5 (- 2) (* 10)))          ; (* 10 (- 2 5))
(prn (-> 3 inc str))
(prn (->> (range 10) (filter odd?) (map inc) (reduce +)))

(prn (if-let [v (get {:a 1} :a)] (str "found " v) "missing"))
(prn (if-let [v (get {:a 1} :b)] (str "found " v) "missing"))
(prn (when-let [v 41] (inc v)))
(prn (when-let [v nil] (throw "not run")))

(prn (comment (throw "comment ignores its body") anything))
