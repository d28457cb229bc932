;; Deep non-tail recursion ends in a clean RecursionError that try can catch.

(defn forever (n) (+ 1 (forever (+ n 1))))

(def result
  (try (forever 0)
       (catch e [(error-type e) (error-message e)])))
(prn result)

;; Typed catch works too, and the program carries on afterwards.
(prn (try (forever 0) (catch RecursionError e :caught)))
(println "still running")
