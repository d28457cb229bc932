;; if, do, and truthiness: only nil and false are falsy.

(prn (if true "yes" "no"))
(prn (if false "yes" "no"))
(prn (if nil "yes" "no"))
(prn (if nil "no else branch"))

(defn truthy? (x) (if x true false))
(prn (map truthy? [0 0.0 "" [] {} '() :k 'sym]))
(prn (map truthy? [nil false]))

;; do evaluates its forms in order and returns the last.
(prn (do (println "first") (println "second") 3))
(prn (do))

;; if only evaluates the branch it takes.
(prn (if true 1 (throw "not evaluated")))
