;; ($py "name"): a Python module, imported once and cached. Binding it does not start Python;
;; the first use does.
(def json ($py "json"))
(def os-path ($py "os.path"))
(def never-used ($py "no_such_module_is_imported_until_used"))

(println (. json __name__))
(println (os-path.join "usr" "lib"))

;; Importing again gives the very same module object.
(def same? (py-eval "lambda a, b: a is b"))
(prn (same? ($py "json") json))
(prn (same? ($py "json") ($py "json")))

;; Module state survives between uses: it is one module, not a fresh import each time.
(set! (. ($py "json") polyglot_marker) "set once")
(println (. ($py "json") polyglot_marker))

;; Imports made by py-exec are the same modules too.
(py-exec "import json as j2")
(prn (same? (py-eval "j2") json))

;; A module is printed like any Python object: println shows str(), prn the handle form.
(println (. ($py "math") __name__) (type-of (->py ($py "math"))))
