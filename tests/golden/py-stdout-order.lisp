;; Python's prints and the Lisp's own output appear in program order.
(def builtins ($py "builtins"))
(def sys ($py "sys"))

(println "lisp 1")
(builtins.print "python 2")
(println "lisp 3")
(py-exec "print('python 4')")
(print "lisp 5, no newline; ")
(builtins.print "python 6")
((. sys stdout write) "python 7, no newline; ")
(println "lisp 8")
(py-exec "print('python', 9, end=' ')")
(println "lisp 10")

(dotimes [i 3]
  (print "lisp" i "")
  (builtins.print "python" i))

;; Printing from a callback, in the middle of a Python call.
(py-exec "def each(f, xs):\n    for x in xs:\n        print('python before', x)\n        f(x)\n        print('python after', x)")
((py-eval "each") (fn (x) (println "  lisp callback" x)) [1 2])
(println "done")
