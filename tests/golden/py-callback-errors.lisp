;; Errors crossing a callback, in both directions.
(py-exec "
def call_safely(f, x):
    try:
        return f(x)
    except Exception as e:
        return 'Python caught ' + type(e).__name__ + ': ' + str(e)
")
(def call-safely (py-eval "call_safely"))

;; A Lisp error raised in a callback is an exception Python can catch; the message says what
;; the Lisp error was.
(println (call-safely (fn (x) (throw (str "no good: " x))) 1))
(println (call-safely (fn (x) (/ x 0)) 1))
(println (call-safely (fn (x) (+ x 1)) 1))

;; Uncaught by Python, it comes back to the Lisp caller as an error.
(def builtins ($py "builtins"))
(prn (try (builtins.list (builtins.map (fn (x) (throw "from the callback")) [1]))
       (catch e (error? e))))

;; A Python error inside a callback (the callback calls Python, which raises) also reaches the
;; Lisp caller, with Python's message.
(defn parse (s) (builtins.int s))
(prn (try (builtins.list (builtins.map parse ["1" "x"]))
       (catch e ((. (error-message e) __contains__) "invalid literal for int()"))))

;; The callback itself may catch it.
(defn parse-or-zero (s)
  (try (builtins.int s) (catch ValueError e 0)))
(println (builtins.list (builtins.map parse-or-zero ["1" "x" "3"])))
