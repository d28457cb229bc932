;; (with [name context-manager] body...): __enter__, the body, then __exit__, always.
(py-exec "
class Resource:
    def __init__(self, name):
        self.name = name
    def __enter__(self):
        print('enter', self.name)
        return self.name.upper()
    def __exit__(self, exc_type, exc, tb):
        print('exit', self.name)
        return False
")
(def Resource (py-eval "Resource"))

(prn (with [r (Resource "db")]
       (println "body sees" r)
       42))

;; __exit__ runs when the body raises, and the error goes on.
(prn (try
       (with [r (Resource "file")]
         (throw "failed inside"))
       (catch e (error-message e))))

;; Nested.
(with [a (Resource "outer")]
  (with [b (Resource "inner")]
    (println a b)))

;; Standard library context managers.
(def io ($py "io"))
(prn (with [f (io.StringIO "one\ntwo\n")]
       (->lisp (f.readlines))))
(def threading ($py "threading"))
(def lock (threading.Lock))
(with [l lock]
  (println "locked inside:" (lock.locked)))
(println "locked after:" (lock.locked))
(def contextlib ($py "contextlib"))
(prn (with [x (contextlib.nullcontext 5)] (+ x 1)))
