;; contextlib: suppress, redirect_stdout, a class-based manager, nullcontext, nested managers.
(def contextlib ($py "contextlib"))
(def io ($py "io"))
(def builtins ($py "builtins"))

(with [_ (contextlib.suppress builtins.ZeroDivisionError)]
  (/ 1 0)
  (println "not reached"))
(println "after suppress")

(with [_ (contextlib.suppress builtins.KeyError builtins.IndexError)]
  (get (builtins.list) 3))
(println "suppressed IndexError")

(try
  (with [_ (contextlib.suppress builtins.KeyError)]
    (builtins.int "nope"))
  (catch ValueError e (println "suppress let through:" (error-type e))))

(def buf (io.StringIO))
(with [_ (contextlib.redirect-stdout buf)]
  (println "first line")
  (builtins.print "second" 2))
(def captured (buf.getvalue))
(println "captured:" (builtins.repr captured))
(print ((. captured upper)))

(py-exec "
class Tracker:
    def __init__(self, name, swallow=()):
        self.name = name
        self.swallow = swallow
        self.log = []

    def __enter__(self):
        print('enter', self.name)
        return self

    def __exit__(self, exc_type, exc, tb):
        kind = exc_type.__name__ if exc_type else 'no error'
        print('exit', self.name, kind, repr(str(exc)) if exc else '')
        return exc_type is not None and issubclass(exc_type, self.swallow)
")
(def Tracker (py-eval "Tracker"))

(with [t (Tracker "quiet")]
  (println "inside" (. t name)))

(with [t (Tracker "lenient" (builtins.tuple [builtins.ValueError]))]
  (throw (builtins.ValueError "bad input")))
(println "lenient swallowed it")

(try
  (with [_ (Tracker "strict" (builtins.tuple [builtins.ValueError]))]
    (throw (builtins.KeyError "missing")))
  (catch KeyError e (println "strict passed on" (builtins.repr e))))

(with [n (contextlib.nullcontext 41)]
  (println "nullcontext gives" (+ n 1)))
(with [n (contextlib.nullcontext)]
  (println "nullcontext default" (if (nil? n) "None" n)))

(def out (io.StringIO))
(with [a (Tracker "outer")
       b (Tracker "inner" (builtins.tuple [builtins.ZeroDivisionError]))
       _ (contextlib.redirect-stdout out)]
  (println "hidden" a.name b.name)
  (/ 1 0))
(println "nested captured" (builtins.repr (out.getvalue)))

(py-exec "
import contextlib

@contextlib.contextmanager
def tag(name):
    print(f'<{name}>')
    try:
        yield name.upper()
    finally:
        print(f'</{name}>')
")
(def tag (py-eval "tag"))

(with [upper (tag "b")]
  (println "bold" upper))

(with [stack (contextlib.ExitStack)]
  (let [names (builtins.list (map (fn [x] (stack.enter-context (tag x))) ["p" "i"]))]
    (println "stack holds" names)))
