;; A missing attribute is Python's AttributeError, shown at the form that used it.
(def math ($py "math"))
(println (math.sqrt 16))
(println (math.squareroot 16))
(println "not reached")
