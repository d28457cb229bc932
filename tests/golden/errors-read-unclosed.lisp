;; An unclosed list. A script is read and run one form at a time, so the forms
;; before the broken one run; then the reader points at the paren left open.
(println "this form runs")

(defn broken (x)
  (+ x 1)
