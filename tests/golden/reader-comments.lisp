;; Line comments and form comments.

; a whole-line comment
(prn 1) ; a comment after code
;;; any number of semicolons

(prn (+ 1 #_(this form is skipped) 2))
(prn [1 #_2 3])
(prn '(a #_b c))
#_(println "never printed")
(prn #_ #_ :skipped :also-skipped :kept)
;; #_ skips one whole form, however big.
(prn (list 1
           #_(defn nope ()
               (throw "not run"))
           2))
