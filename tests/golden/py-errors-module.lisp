;; ($py "name") is lazy: a missing module is reported where it is first used, as Python's
;; ModuleNotFoundError.
(def yaml ($py "no_such_module_xyz"))
(println "binding a module does not import it yet")
(println (yaml.safe_load "a: 1"))
(println "not reached")
