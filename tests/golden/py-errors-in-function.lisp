;; An uncaught Python exception raised inside Lisp functions: the diagnostic shows the Lisp form
;; that called Python, the Lisp stack that led there, and Python's traceback.
(def builtins ($py "builtins"))

(defn parse-port (text)
  (builtins.int text))

(defn parse-address (address)
  (let [parts (split address ":")]
    {:host (first parts) :port (parse-port (second parts))}))

(prn (parse-address "localhost:8080"))
(prn (parse-address "localhost:http"))
(println "not reached")
