;; and / or short-circuit and return the deciding value.

(prn (and) (or))
(prn (and 1 2 3))
(prn (and 1 nil 3))
(prn (and 1 false 3))
(prn (or nil false 3))
(prn (or nil false))
(prn (or 1 (throw "never evaluated")))
(prn (and nil (throw "never evaluated")))

(defn safe-first (xs) (and (not (empty? xs)) (first xs)))
(prn (safe-first [5 6]) (safe-first []))
(defn name-or-default (m) (or (get m :name) "anonymous"))
(prn (name-or-default {:name "Ada"}) (name-or-default {}))
