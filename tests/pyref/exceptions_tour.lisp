;; Exceptions: user-defined hierarchies with attributes, catching by base class, re-raising,
;; args, chaining, and exceptions crossing between the caller and library code.
(def builtins ($py "builtins"))

(py-exec "
class AppError(Exception):
    '''Base class for this application's errors.'''


class ValidationError(AppError):
    def __init__(self, field, reason):
        super().__init__(f'{field}: {reason}')
        self.field = field
        self.reason = reason


class NotFound(AppError, LookupError):
    def __init__(self, key):
        super().__init__(key)
        self.key = key
")
(def ValidationError (py-eval "ValidationError"))
(def NotFound (py-eval "NotFound"))
(def AppError (py-eval "AppError"))

(defn check-age [value]
  (cond
    (not (builtins.isinstance value builtins.int)) (throw (ValidationError "age" "not an integer"))
    (< value 0) (throw (ValidationError "age" "negative"))
    :else value))

(defn lookup [table k]
  (if (contains? table k)
    (get table k)
    (throw (NotFound k))))

(doseq [candidate [30 -1 "x"]]
  (try
    (println "ok" (check-age candidate))
    (catch AppError e
      (println "AppError caught:" (. (builtins.type e) __name__) (. e field) e.reason (. e args)))))

(try
  (lookup (builtins.dict :a 1) "b")
  (catch LookupError e
    (println "as LookupError:" (. (builtins.type e) __name__) (. e key) (. e args))))

(println (if (builtins.issubclass NotFound AppError) "True" "False")
         (if (builtins.isinstance (NotFound "k") builtins.LookupError) "True" "False"))

(defn audited [f & args]
  (try
    (apply f args)
    (catch AppError e
      (println "  audit saw" (. (builtins.type e) __name__))
      (throw e))))

(try
  (audited check-age -5)
  (catch ValidationError e (println "re-raised reached top:" (builtins.str e))))

(try
  (throw (builtins.ValueError "x"))
  (catch ValueError e (println "ValueError" (. e args) (error-message e))))

(py-exec "
def python_catches(f):
    try:
        f()
    except ValueError as e:
        return 'python caught ' + repr(e)
    return 'nothing raised'
")
(def python-catches (py-eval "python_catches"))
(py-exec "
def wrap(inner):
    raise RuntimeError('wrapped') from inner
")
(def wrap (py-eval "wrap"))
(println (python-catches (fn [] (throw (builtins.ValueError "from the caller")))))
(println (python-catches (fn [] nil)))

(def e (builtins.KeyError "k" 2))
(println (. e args) (count (. e args)) (builtins.repr e))

(try
  (try
    (get (builtins.dict) "missing")
    (catch KeyError inner
      (wrap inner)))
  (catch RuntimeError outer
    (println (error-type outer) (builtins.str outer) "cause:" (builtins.repr (. outer __cause__)))))

(def results (builtins.list))
(doseq [f [(fn [] (/ 1 0)) (fn [] (builtins.int "q")) (fn [] (get (builtins.list) 1)) (fn [] "fine")]]
  (try
    (results.append (f))
    (catch ZeroDivisionError e (results.append (error-type e)))
    (catch IndexError e (results.append (error-type e)))
    (catch Exception e (results.append (str "other " (error-type e))))
    (finally (results.append "|"))))
(println results)
