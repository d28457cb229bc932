;; (f x y :k v): keywords after the positional arguments become Python keyword arguments.
(def builtins ($py "builtins"))
(def json ($py "json"))
(def np ($py "numpy"))

(println (builtins.sorted [3 1 2] :reverse true))
(println (json.dumps {:b 1 :a [1 2]} :sort_keys true))
(println (json.dumps {:b 1 :a 2} :sort_keys true :indent 2))
(println (np.linspace 0 1 :num 5))
(println (np.array [1 2 3] :dtype "float32"))
(println (. (np.arange 6 :dtype np.int8) dtype))

;; Keyword argument values are converted like any argument.
(println (builtins.dict :name "Ada" :langs ["lisp" "python"] :nothing nil))

;; A Python function with keyword-only parameters.
(py-exec "def greet(name, *, greeting='Hello', punct='!'):\n    return f'{greeting}, {name}{punct}'")
(def greet (py-eval "greet"))
(println (greet "world"))
(println (greet "world" :greeting "Hi"))
(println (greet "world" :punct "?" :greeting "Hey"))

;; **kwargs arrive as a dict.
(py-exec "def kw(**kwargs):\n    return sorted(kwargs.items())")
(println ((py-eval "kw") :x 1 :y "two"))

;; A keyword with no value after it is passed positionally, as a string.
(println (builtins.str :plain))

;; Positional arguments must come first.
(prn (try (greet :greeting "Hi" "world")
       (catch e (list (error-type e) (error-message e)))))

;; An unknown keyword argument is Python's TypeError.
(prn (try (greet "world" :colour "red")
       (catch TypeError e (error-message e))))
