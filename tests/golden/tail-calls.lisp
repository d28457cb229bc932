;; Calls in tail position do not grow the stack.

(defn count-up (n acc)
  (if (= n 0) acc (count-up (- n 1) (+ acc 1))))
(prn (count-up 1000000 0))

;; Mutual recursion in tail position is fine too.
(defn ev? (n) (if (= n 0) true (od? (- n 1))))
(defn od? (n) (if (= n 0) false (ev? (- n 1))))
(prn (ev? 1000000) (od? 1000001))

;; Tail position includes the branches of if/cond/when, the last form of do/let.
(defn walk (n)
  (cond (= n 0) :done
        (even? n) (let [m (- n 1)] (walk m))
        :else (do (walk (- n 1)))))
(prn (walk 1000000))

;; A non-tail recursion of moderate depth is fine as well.
(defn depth (n) (if (= n 0) 0 (+ 1 (depth (- n 1)))))
(prn (depth 10000))
