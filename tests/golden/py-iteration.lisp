;; Sequence functions accept Python iterables, pulling items lazily.
(def itertools ($py "itertools"))
(def builtins ($py "builtins"))
(def np ($py "numpy"))

;; An infinite iterator: take pulls only what it needs.
(prn (take 5 ((. ($py "itertools") count))))
(prn (take 3 (itertools.count 10 5)))
(prn (first (itertools.count 7)))

;; A generator that reports each item it produces.
(py-exec "
def noisy(n):
    for i in range(n):
        print('  producing', i)
        yield i
")
(def noisy (py-eval "noisy"))
(println "take 2 of a 1000-item generator:")
(prn (take 2 (noisy 1000)))
(println "first:")
(prn (first (noisy 1000)))

;; map, filter, reduce, count over lists, ranges, generators, dicts, sets, arrays.
(def xs (py-eval "[1, 2, 3, 4, 5]"))
(prn (map (fn (x) (* x x)) xs))
(prn (filter even? (builtins.range 10)))
(prn (reduce + xs))
(prn (reduce + 100 (builtins.range 5)))
(prn (count xs) (count (builtins.range 42)) (count (py-eval "'abc'")))
(prn (count (py-eval "{'a': 1, 'b': 2}")))
(prn (sort (map identity (py-eval "{'b': 1, 'a': 2}"))))
(prn (first (py-eval "(x * 2 for x in [21, 1])")))
(prn (map inc (np.arange 4)))
(prn (reduce + (np.array [0.5 1.5 2.0])))
(prn (count (np.zeros 7)))
(prn (map (fn (row) (->lisp (row.tolist))) (np.array [[1 2] [3 4]])))

;; zip, concat, rest, last, nth on Python iterables.
(prn (zip (builtins.range 3) ["a" "b" "c"]))
(prn (concat (builtins.range 2) [9]))
(prn (rest xs) (last xs) (nth xs 2))

;; doseq walks a Python iterable too.
(doseq [pair ((. (py-eval "{'x': 1, 'y': 2}") items))]
  (println (get pair 0) (get pair 1)))
