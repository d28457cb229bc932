;; Changing shape and joining arrays: reshape, ravel, transpose, stacking, splitting.
(def np ($py "numpy"))

(def c (np.arange 12))
(println (c.reshape 3 4))
(println (c.reshape 2 -1))
(println (. (c.reshape 2 3 2) shape))
(println (. (c.reshape 3 4) T))
(println ((. (c.reshape 3 4) ravel)))
(println (np.reshape c [4 3] :order "F"))

(def a (np.array [[1 2] [3 4]]))
(def b (np.array [[5 6] [7 8]]))
(println (np.vstack [a b]))
(println (np.hstack [a b]))
(println (np.concatenate [a b] :axis 0))
(println (np.concatenate [a b] :axis 1))
(println (np.concatenate [a b] :axis nil))
(println (np.stack [a b]))
(println (. (np.stack [a b] :axis 2) shape))

(def u (np.array [1 2 3]))
(def v (np.array [4 5 6]))
(println (np.hstack [u v]))
(println (np.vstack [u v]))
(println (np.column-stack [u v]))
(println (get u [(slice) np.newaxis]))
(println (. (get u [np.newaxis (slice)]) shape))

(doseq [part (np.hsplit ((. (np.arange 12) reshape) 2 6) 3)]
  (println part))
(doseq [part (np.array-split (np.arange 7) 3)]
  (println "part" part))
(println (count (np.vsplit ((. (np.arange 16) reshape) 4 4) 2)))
