;; count first rest cons conj list vector hash-map get assoc (and friends).

(prn (count [1 2 3]) (count '(1)) (count {:a 1}) (count "héllo") (count nil) (count []))
(prn (first [1 2]) (first '()) (first nil) (first "abc"))
(prn (rest [1 2 3]) (rest [1]) (rest nil))
(prn (second [1 2 3]) (last [1 2 3]) (nth [10 20] 1) (nth [10 20] 5 :none))
(prn (next [1]) (next [1 2]))

(prn (cons 0 [1 2]) (cons 0 '(1 2)) (cons 0 nil))
(prn (conj [1 2] 3 4))             ; vectors grow at the end
(prn (conj '(1 2) 3 4))            ; lists grow at the front
(prn (conj {:a 1} [:b 2]))         ; maps take [key value] pairs
(prn (conj nil 1))

(prn (list) (list 1 2 "three"))
(prn (vector) (vector 1 2) (vec '(1 2)))
(prn (hash-map) (hash-map :a 1 :b 2))

(def m {:name "Ada" :born 1815})
(prn (get m :name) (get m :missing) (get m :missing "default"))
(prn (get [10 20 30] 1) (get [10 20 30] 9) (get "abc" 0) (get nil :x))
(prn (assoc m :born 1816 :field "math"))
(prn m)                            ; assoc returns a new map; m is unchanged
(prn (assoc [1 2 3] 0 :x) (assoc [1 2] 2 3))
(prn (dissoc m :born) (keys m) (vals m))
(prn (contains? m :name) (contains? m :age) (contains? [5 6] 1))
(prn (empty? []) (empty? nil) (empty? [1]))
(prn (concat [1 2] '(3) nil [4]) (reverse [1 2 3]) (into [] '(1 2)) (into {} [[:k :v]]))
(prn (get {[1 2] :found} '(1 2)))  ; equal keys find each other
