;; Calling a function with the wrong number of arguments.
(defn area (width height)
  (* width height))

(println (area 3 4))
(println (area 3))
