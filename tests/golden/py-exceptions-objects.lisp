; A caught Python exception is the Python object: attributes, type-of, catch by class (user
; classes too), and throw raises it as Python's.
(try (py-exec "raise ValueError('boom', 42)")
  (catch ValueError e
    (println (type-of e) (. e args) e.args (error-type e) (error-message e))))
(py-exec "
class AppError(Exception):
    def __init__(self, code):
        super().__init__(f'failed with code {code}')
        self.code = code
class NotFound(AppError):
    pass
")
(try (py-exec "raise NotFound(404)")
  (catch AppError e (println "caught a subclass:" (type-of e) (. e code) (error-message e))))
(try (throw (builtins.KeyError "k"))
  (catch LookupError e (println "thrown instance:" (error-type e) (error-message e))))
(try (throw builtins.ZeroDivisionError)
  (catch ArithmeticError e (println "thrown class:" (error-type e))))
; A re-raised exception is still the same object.
(try (try (py-exec "raise NotFound(7)") (catch e (throw e)))
  (catch NotFound e (println "re-raised:" (. e code))))
; Python code sees a thrown Python exception as itself.
(py-exec "
def guarded(f):
    try:
        f()
    except KeyError as e:
        return 'python caught KeyError ' + repr(e.args[0])
")
(println ((py-eval "guarded") (fn [] (throw (builtins.KeyError "from lisp")))))
; A Lisp error that passes through Python comes back as itself.
(defn divide [x] (/ x 0))
(try ((. builtins list) (map divide [1]))
  (catch ZeroDivisionError e (println "lisp error back:" (error-type e) (error-message e))))
