;; A bracket closed by the wrong delimiter.
(def v [1 2 3)
