;; dataclasses: generated __init__/__repr__/__eq__, ordering, frozen instances.
(py-exec "
from dataclasses import dataclass, field

@dataclass
class Point:
    x: int
    y: int = 0

@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int = 0
    tags: tuple = field(default=(), compare=False)
")
(def Point (py-eval "Point"))
(def Version (py-eval "Version"))
(def dataclasses ($py "dataclasses"))
(def builtins ($py "builtins"))

(defn same (label a b)
  (println label (if (= a b) "equal" "not equal")
           (if (identical? a b) "identical" "distinct")))

(def p (Point 1 2))
(def q (Point :x 1 :y 2))
(println p q (Point 3))
(same "p q:" p q)
(same "p p:" p p)
(same "p Point(1):" p (Point 1))
(same "p [1 2]:" p [1 2])
(println (if (not= p (Point 1 3)) "p != Point(1, 3)" "p == Point(1, 3)"))
(set! (. q y) 5)
(println q)
(same "p q after set!:" p q)

(println (dataclasses.asdict p))
(println (dataclasses.astuple p))
(println (dataclasses.replace p :y 10))
(println (builtins.list (builtins.map (fn (f) (. f name)) (dataclasses.fields Point))))

(def v1 (Version 1 2))
(def v2 (Version 1 10 :tags ["beta"]))
(println v1 v2)
(println (if (< v1 v2) "v1 < v2" "v1 >= v2"))
(same "v2 vs Version(1, 10):" v2 (Version 1 10))
(println (builtins.sorted [v2 (Version 0 9) v1]))
(println (count (builtins.set [v1 (Version 1 2) (Version 2)])))
(println (try (set! (. v1 major) 3) (catch e (error-type e))))
(println (if (truthy? (dataclasses.is-dataclass v1)) "v1 is a dataclass" "v1 is not a dataclass"))
