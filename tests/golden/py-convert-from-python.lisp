;; Python values returned to Lisp: None, bool, int, float and str (and NumPy scalars) become
;; Lisp values; everything else stays a handle.
(defn show (src)
  (let [v (py-eval src)]
    (println src "=>" (type-of v) (pr-str v))))

(show "None")
(show "True")
(show "False")
(show "42")
(show "-7")
(show "2**62")
(show "2**63 - 1")
(show "2**63")
(show "-2**63")
(show "-2**63 - 1")
(show "10**30")
(show "1.5")
(show "2.0")
(show "1e-7")
(show "1e100")
(show "float('inf')")
(show "-float('inf')")
(show "'text'")
(show "'héllo\\n'")
(show "''")
(show "True + 1")

;; Not scalars: handles, with the Python type name.
(show "[1, 2]")
(show "(1, 2)")
(show "{'a': 1}")
(show "{1, 2}")
(show "b'bytes'")
(show "1 + 2j")
(show "range(3)")

;; Arithmetic on converted numbers is Lisp arithmetic.
(prn (+ (py-eval "2**64") 1))
(prn (* (py-eval "0.5") 4))
(prn (= (py-eval "'abc'") "abc"))
(prn (nil? (py-eval "None")))
(prn (if (py-eval "False") "truthy" "falsy"))
