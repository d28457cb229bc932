;; NumPy arithmetic: elementwise operators, matrix products, reductions, broadcasting.
(def np ($py "numpy"))

(def a (np.array [20 30 40 50]))
(def b (np.arange 4))
(println (- a b))
(println (pow b 2))
(println (np.round (* 10 (np.sin a)) 4))
(println (< a 35))
(println (/ a 8))
(println (floor-div a 7))
(println (mod a 7))
(println (+ 1 a))
(println (* 2.5 b))

(def A (np.array [[1 1] [0 1]]))
(def B (np.array [[2 0] [3 4]]))
(println (* A B))
(println (matmul A B))
(println (A.dot B))

(println (bit-and (np.array [12 10]) (np.array [10 6])))
(println (bit-or (np.array [12 10]) (np.array [10 6])))
(println (bit-xor (np.array [12 10]) (np.array [10 6])))
(println (bit-not (np.array [0 1 2])))
(println (bit-shift-left (np.array [1 2 3]) 2))
(println (bit-shift-right (np.array [16 32 64]) 3))

;; broadcasting
(def m ((. (np.arange 12) reshape) 3 4))
(println (+ m (np.array [10 20 30 40])))
(println (+ m ((. (np.array [100 200 300]) reshape) 3 1)))
(println (* ((. (np.arange 3) reshape) 3 1) (np.arange 4)))
(println (- m (m.mean :axis 0)))

;; reductions
(println (m.sum) (m.min) (m.max) (m.mean))
(println (m.sum :axis 0))
(println (m.cumsum :axis 1))
(println (np.mean m :axis 1))
(println (np.sqrt b))
(println (. (+ (np.ones 3 :dtype np.int32) (np.linspace 0 1 3)) dtype))
