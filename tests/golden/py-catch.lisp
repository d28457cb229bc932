;; (try ... (catch PythonClass e ...)) catches that Python exception class and its subclasses.
(def json ($py "json"))

;; json.JSONDecodeError is a subclass of ValueError.
(prn (try (json.loads "{bad") (catch ValueError e (error-type e))))
(prn (try (json.loads "{bad") (catch JSONDecodeError e "caught by its own class")))
(prn (try (json.loads "{bad") (catch Exception e "caught as Exception")))

;; The first matching clause wins; the others are skipped.
(prn (try (json.loads "{bad")
       (catch KeyError e "KeyError clause")
       (catch ValueError e "ValueError clause")
       (catch e "catch-all clause")))

;; A clause for another class does not catch; an outer try can.
(prn (try
       (try (json.loads "{bad") (catch TypeError e "inner"))
       (catch ValueError e "outer")))

;; Base classes along the hierarchy.
(prn (try (py-eval "{}['missing']") (catch LookupError e (error-type e))))
(prn (try (py-eval "[][0]") (catch LookupError e (error-type e))))
(prn (try (py-eval "1 / 0") (catch ArithmeticError e (error-type e))))
(prn (try (py-eval "int('x')") (catch ValueError e (error-type e))))
(prn (try (py-eval "open('/no/such/dir/file')") (catch OSError e (error-type e))))

;; A user-defined exception hierarchy.
(py-exec "
class AppError(Exception):
    pass
class ConfigError(AppError):
    pass
def load(name):
    raise ConfigError('bad config: ' + name)
")
(def load (py-eval "load"))
(prn (try (load "a.toml") (catch AppError e (list (error-type e) (error-message e)))))
(prn (try (load "b.toml") (catch ConfigError e "exact class")))

;; A catch-all clause catches Python errors too; finally always runs.
(prn (try (load "c.toml")
       (catch e (str "caught " (error-type e)))
       (finally (println "finally ran"))))

;; Lisp errors carry their Python-style names as well.
(prn (try (/ 1 0) (catch ZeroDivisionError e "Lisp division by zero")))
