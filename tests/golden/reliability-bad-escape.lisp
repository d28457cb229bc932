;; `\u` takes hex digits only: no sign, no space.
(println "ok so far")
(println "A is \u+041")
