; `with` follows Python's protocol: __exit__ gets the exception and may suppress it; several
; managers nest; Lisp errors reach Python as exceptions of the builtin class of the same name.
(def contextlib ($py "contextlib"))
(with [_ (contextlib.suppress builtins.ZeroDivisionError)]
  (println "before")
  (/ 1 0)
  (println "not reached"))
(println "suppressed")
(py-exec "
class Tracker:
    def __init__(self, name):
        self.name = name
    def __enter__(self):
        print('enter', self.name)
        return self.name.upper()
    def __exit__(self, kind, value, tb):
        print('exit', self.name, kind.__name__ if kind else None, value)
        return False
")
(def Tracker (py-eval "Tracker"))
(println (with [a (Tracker "a") b (Tracker "b")] (str a "+" b)))
(try (with [_ (Tracker "c")] (throw "lisp error"))
  (catch e (println "propagated:" (error-message e))))
(def io ($py "io"))
(def buf (io.StringIO))
(with [_ (contextlib.redirect-stdout buf)]
  (println "from the Lisp")
  (py-exec "print('from Python')"))
(prn ((. buf getvalue)))
