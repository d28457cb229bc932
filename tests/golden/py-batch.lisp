;; (batch form...) evaluates like `do` and submits the Python calls inside together.
(def np ($py "numpy"))

(def total
  (batch
    (def a (np.arange 4))
    (def b (np.ones 4))
    (np.sum (np.add a b))))
(prn total)
(println a b)

(prn (batch))
(prn (batch 1 2 3))

;; Calls still run in program order, with output in order.
(def builtins ($py "builtins"))
(batch
  (builtins.print "python 1")
  (println "lisp 2")
  (builtins.print "python 3"))

;; Loops and functions inside a batch.
(prn (batch (map (fn (i) (np.sqrt i)) [1 4 9])))

;; An error inside a batch is raised at its call, like anywhere else.
(prn (try (batch (np.zeros 2) (py-eval "1/0") (println "not reached"))
       (catch ZeroDivisionError e (error-message e))))
(prn (batch (+ 1 2)))
