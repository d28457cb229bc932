;; map filter reduce range take apply, and other higher-order helpers.

(prn (range 5) (range 2 5) (range 0 10 3) (range 5 0 -2) (range 0))
(prn (map inc [1 2 3]))
(prn (map + [1 2 3] [10 20 30 40]))        ; stops at the shortest
(prn (map (fn [x] (* x x)) (range 1 6)))
(prn (mapv inc '(1 2)))
(prn (filter even? (range 10)) (remove even? (range 10)))
(prn (reduce + [1 2 3 4]) (reduce + 100 [1 2 3]) (reduce + []) (reduce * [5]))
(prn (reduce (fn [acc x] (conj acc (* 2 x))) [] [1 2 3]))
(prn (take 2 [1 2 3]) (take 10 [1 2]) (take 0 [1]) (drop 2 [1 2 3]))
(prn (apply + [1 2 3]) (apply + 1 2 [3 4]) (apply str "a" ["b" "c"]) (apply max [3 9 2]))
(prn (map inc nil) (filter odd? []) (take 3 nil))
(prn (map first {:a 1 :b 2}))               ; a map is a collection of [key value] pairs

(prn (some even? [1 3 4]) (some even? [1 3]) (every? odd? [1 3]) (every? odd? []))
(prn (sort [3 1 2]) (sort ["pear" "apple"]) (sort-by count ["ccc" "a" "bb"]))
(prn (zip [1 2 3] [:a :b :c]))

;; From the prelude: seq complement partial comp constantly identity.
(prn (seq [1 2]) (seq "ab"))
(prn ((complement even?) 3))
(prn ((partial + 10) 1 2))
(prn ((comp str inc) 41))
(prn ((comp inc inc (partial * 2)) 5))
(prn ((constantly :k) 1 2 3))
(prn (map identity [1 2]))

(prn (->> (range 1 11)
          (filter even?)
          (map (fn [x] (* x x)))
          (reduce +)))
