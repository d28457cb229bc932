;; (py-handles): how many Python objects the Lisp side holds. A dropped handle is released at
;; the next request, so a loop that makes and drops handles keeps the count flat.
(def builtins ($py "builtins"))
(def np ($py "numpy"))
(defn make-array (i) (np.full 3 i))
(def warm-up (make-array 0)) ; starts Python; the call site now remembers numpy.full

(def baseline (py-handles))

(dotimes [i 100000]
  (builtins.object))
(prn (- (py-handles) baseline))

(dotimes [i 100000]
  (make-array i))
(prn (- (py-handles) baseline))

;; Handles that are kept are counted...
(def kept (mapv (fn (i) (builtins.object)) (range 10)))
(prn (- (py-handles) baseline))
(def one-more (np.zeros 3))
(prn (- (py-handles) baseline))

;; ...and released when the last reference goes.
(def kept nil)
(prn (- (py-handles) baseline))
(def one-more nil)
(prn (- (py-handles) baseline))

;; Scalars come back by value and hold no handle.
(def x (np.float64 2.5))
(prn x (- (py-handles) baseline))
