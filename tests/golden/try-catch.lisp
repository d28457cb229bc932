;; try / catch / finally, throw, error-type, error-message, error-data.

(prn (try (+ 1 2) (catch e :not-used)))          ; no error: the body's value
(prn (try (/ 1 0) (catch e (error-type e))))
(prn (try (/ 1 0) (catch e (error-message e))))
(prn (try (throw "boom") (catch e [(error-type e) (error-message e)])))

;; The error types of the core.
(defmacro type-of-error (form) `(try ,form (catch e (error-type e))))
(prn (type-of-error (undefined-function 1)))
(prn (type-of-error ((fn [x] x))))
(prn (type-of-error (+ 1 "a")))
(prn (type-of-error (int "abc")))
(prn (type-of-error (nth [1 2] 9)))
(prn (type-of-error (eval '(if))))
(prn (type-of-error (read-string "(unclosed")))

;; (catch TypeName e ...) only catches that type; clauses are tried in order.
(defn classify (thunk)
  (try (thunk)
       (catch ZeroDivisionError e :zero)
       (catch TypeError e :type)
       (catch e (str "other: " (error-type e)))))
(prn (classify (fn [] (/ 1 0))))
(prn (classify (fn [] (+ nil 1))))
(prn (classify (fn [] (throw "x"))))
(prn (classify (fn [] :fine)))
(prn (try (throw "x") (catch LispError e :lisp-error)))

;; An error no clause matches goes on outward.
(prn (try (try (/ 1 0) (catch TypeError e :inner))
          (catch ZeroDivisionError e :outer)))

;; finally always runs; its value is ignored.
(prn (try 1 (finally (println "finally after success"))))
(prn (try (throw "x") (catch e :handled) (finally (println "finally after catch"))))
(prn (try (try (/ 1 0) (finally (println "finally on the way out")))
          (catch e (error-type e))))

;; Re-throwing a caught error keeps its type.
(prn (try (try (/ 1 0) (catch e (throw e)))
          (catch e (error-type e))))

;; throw with a value that is not a string: error-data gives it back.
(prn (try (throw {:code 404 :path "/x"})
          (catch e [(error-type e) (error-message e) (error-data e)])))
(prn (try (throw [1 2]) (catch e (error-data e))))
(prn (try (throw "plain") (catch e (error-data e))))   ; nil for a string

;; A caught error is a value.
(def err (try (throw "kept") (catch e (identity e))))
(prn (error? err) (type-of err) (error-message err))
