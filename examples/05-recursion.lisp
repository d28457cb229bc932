;; Recursion and iteration: the same problems solved three ways.

;; 1. Plain recursion: clear, but each call waits for the next one.
(defn sum-list (xs)
  (if (empty? xs)
    0
    (+ (first xs) (sum-list (rest xs)))))

;; 2. Tail recursion: the recursive call is the last thing done, so the
;;    stack does not grow, however many calls there are.
(defn sum-list-tail (xs acc)
  (if (empty? xs)
    acc
    (sum-list-tail (rest xs) (+ acc (first xs)))))

;; 3. loop/recur: a loop with named variables.
(defn sum-list-loop (xs)
  (loop [xs xs acc 0]
    (if (empty? xs) acc (recur (rest xs) (+ acc (first xs))))))

(def nums (range 1 101))
(println (sum-list nums) (sum-list-tail nums 0) (sum-list-loop nums))

;; Tail calls go a million deep without trouble.
(defn count-down (n) (if (zero? n) :lift-off (count-down (dec n))))
(println (count-down 1000000))

;; Fibonacci, the slow way and the fast way. Big numbers are exact.
(defn fib-slow (n) (if (< n 2) n (+ (fib-slow (- n 1)) (fib-slow (- n 2)))))

(defn fib (n)
  (loop [a 0 b 1 i 0]
    (if (= i n) a (recur b (+ a b) (inc i)))))

(println (map fib-slow (range 10)))
(println "fib 100 =" (fib 100))

;; Collatz: how many steps to reach 1?
(defn collatz-steps (n)
  (loop [n n steps 0]
    (cond (= n 1) steps
          (even? n) (recur (/ n 2) (inc steps))
          :else (recur (+ (* 3 n) 1) (inc steps)))))

(println (map collatz-steps [1 6 7 27]))

;; Greatest common divisor, Euclid's way.
(defn gcd (a b) (if (zero? b) a (gcd b (mod a b))))
(println (gcd 1071 462) (gcd (pow 2 100) (pow 6 40)))
