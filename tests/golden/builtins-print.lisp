;; print, println, prn, str, pr-str: display forms versus readable forms.

(println "println shows strings without quotes:" "a" ["b" {:c "d"}] nil 1.0 :k)
(prn "prn shows strings quoted:" "a" ["b" {:c "d"}] nil 1.0 :k)
(print "print adds" "no newline")
(print "|")
(println)
(println)                      ; an empty line
(prn (println "println returns nil"))

(prn (str "a" 1 :k 2.5 nil true [1 "x"]))   ; str joins display forms; nil adds nothing
(prn (str))
(prn (pr-str "a" 1 [2 "b"]))                ; pr-str joins readable forms with spaces
(println (pr-str "quoted"))
(prn "escapes" "a\nb" "tab\t" "q\"" "back\\")
(println 'sym :kw '(1 (2)) [] {})
(prn inc (fn named-fn [] 1) when)
