;; NumPy scalars become Lisp numbers (and booleans, strings).
(def np ($py "numpy"))

(prn (np.float32 1.5))
(prn (np.float32 0.1)) ; the float32 value, widened exactly to a float
(prn (np.float64 2.25))
(prn (np.int64 7))
(prn (np.int32 -3))
(prn (np.uint8 255))
(prn (np.int64 (py-eval "2**62")))
(prn (np.bool_ true))
(prn (np.str_ "s"))

(prn (type-of (np.float32 1.5)) (type-of (np.int64 7)) (type-of (np.bool_ false)))

;; Reductions and element access give scalars.
(def a (np.arange 10))
(prn (np.sum a))
(prn (np.mean a))
(prn (a.max))
(prn (get a 3))
(prn (get (np.array [1.5 2.5] :dtype "float32") 1))
(prn (np.dot [1 2 3] [4 5 6]))
(prn (np.all (np.array [true true])))

;; They are plain Lisp numbers from then on.
(prn (+ (np.int64 40) 2))
(prn (* 2 (np.float32 1.25)))
(prn (int? (np.int64 1)) (float? (np.float64 1)))

;; Complex numbers have no Lisp counterpart and stay handles.
(prn (type-of (np.complex128 1)))
