;; itertools: infinite counters, slicing, grouping, running totals and combinatorics.
(def itertools ($py "itertools"))
(def operator ($py "operator"))
(def builtins ($py "builtins"))
(def pylist builtins.list)

(println (pylist (itertools.islice (itertools.count 5 3) 4)))
(println (pylist (itertools.islice "ABCDEFG" 2 nil 2)))
(println (pylist (itertools.takewhile (fn [x] (< x 10)) (itertools.count 1 4))))
(println (pylist (itertools.dropwhile (fn [x] (< x 3)) [1 4 2 5])))

(doseq [[k group] (itertools.groupby "AAAABBBCCDAABBB")]
  (let [items (pylist group)]
    (println k (count items) ((. "" join) items))))

(def words ["apple" "avocado" "banana" "blueberry" "cherry" "apricot"])
(doseq [[initial group] (itertools.groupby words :key (fn [w] (get w 0)))]
  (println initial "->" ((. ", " join) group)))

(println (pylist (itertools.accumulate [1 2 3 4 5])))
(println (pylist (itertools.accumulate [1 2 3 4 5] operator.mul)))
(println (pylist (itertools.accumulate [3 1 4 1 5 9 2] builtins.max)))
(println (pylist (itertools.accumulate [1 2 3] :initial 100)))

(println (pylist (itertools.chain "ab" [1 2] (builtins.tuple [3.5]))))
(println (pylist (itertools.chain.from-iterable [[1 2] [3] []])))

(println (pylist (itertools.product "ab" [0 1])))
(println (count (pylist (itertools.product (builtins.range 3) :repeat 3))))
(println (pylist (itertools.permutations "abc" 2)))
(println (pylist (for [p (itertools.permutations "xyz")] ((. "" join) p))))
(println (pylist (itertools.combinations (builtins.range 4) 2)))
(println (pylist (itertools.zip-longest "abc" [1] :fillvalue "-")))
(println (pylist (itertools.repeat "hi" 3)))
(println (pylist (itertools.islice (itertools.cycle [1 2]) 5)))
(println (pylist (itertools.starmap builtins.pow [[2 5] [3 2]])))

(def total 0)
(doseq [[a b] (itertools.product [1 2] [10 20])]
  (set! total (+ total (* a b))))
(println total)
