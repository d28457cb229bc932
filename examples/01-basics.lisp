;; A first taste of polyglot: definitions, recursion, collections and errors.

(defn fib (n)
  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))

(println "fib(20) =" (fib 20))

(def squares (map (fn (x) (* x x)) (range 1 6)))
(println "squares:" squares)

(println "a big number:" (pow 2 100))

(println "caught:"
         (try (/ 1 0)
              (catch e (str (error-type e) ": " (error-message e)))))
