;; An uncaught RecursionError: a diagnostic on stderr and exit code 1, never a crash.

(defn sum-to (n)
  (+ n (sum-to (- n 1))))   ; no base case

(println "before")
(sum-to 10)
(println "never printed")
