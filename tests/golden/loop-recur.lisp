;; loop / recur: iteration without growing the stack.

(prn (loop [i 0 acc 0]
       (if (< i 5) (recur (inc i) (+ acc i)) acc)))

(prn (loop ((i 3) (out []))                 ; Scheme-style bindings work too
       (if (= i 0) out (recur (dec i) (conj out i)))))

;; recur without a loop jumps back to the start of the function.
(defn count-down (n acc)
  (if (= n 0) acc (recur (- n 1) (conj acc n))))
(prn (count-down 5 []))

;; A million iterations.
(prn (loop [i 0] (if (< i 1000000) (recur (inc i)) i)))

;; recur must be in tail position.
(prn (try (eval '(loop [i 0] (+ 1 (recur i))))
          (catch e [(error-type e) (error-message e)])))
