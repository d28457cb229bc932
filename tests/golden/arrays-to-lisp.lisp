;; ->lisp of an ndarray: a typed array over NumPy's memory (C-contiguous), else a copy.
(def np ($py "numpy"))
(def src (np.zeros 4))
(def t (->lisp src))
(prn t)
(aset! t 2 1.5)
(println src)
(prn (->lisp (np.arange 6 :dtype "int16")))
;; Not C-contiguous (a transpose): copied, so writes do not reach the original.
(def m ((. (np.arange 6 :dtype "int64") reshape) [2 3]))
(def tt (->lisp (. m T)))
(prn tt)
(aset! tt 0 99)
(println (get m (py-eval "(0, 0)")))
;; bool arrays become uint8 copies; complex and object arrays stay Python handles.
(prn (->lisp (np.array [true false true])))
(println (type-of (->lisp (np.array [1 2] :dtype "complex128"))))
;; Read-only NumPy memory stays read-only.
(def ro (->lisp (np.frombuffer (py-eval "b'ab'") :dtype "uint8")))
(prn ro)
(println (try (aset! ro 0 1) (catch ValueError e (error-message e))))
