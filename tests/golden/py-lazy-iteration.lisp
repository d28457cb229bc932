; The sequence functions pull from a Python iterator one item at a time, only as needed:
; each generator below records when it is pulled, and infinite iterators work.
(def it ($py "itertools"))
(py-exec "
log = []
def numbers(n=None):
    i = 0
    while n is None or i < n:
        log.append(i)
        yield i
        i += 1
def pulled():
    out = list(log)
    log.clear()
    return out
")
(def numbers (py-eval "numbers"))
(def pulled (py-eval "pulled"))
(defn show [label v] (println label v "pulled" (pulled)))
(show "take 3 of filter even?:" (take 3 (filter even? (numbers))))
(show "first of map:" (first (map (fn [x] (* 10 x)) (numbers))))
(show "take 2 of remove odd?:" (take 2 (remove odd? (numbers))))
(show "take 2 of keep:" (take 2 (keep (fn [x] (when (odd? x) x)) (numbers))))
(show "take-while:" (vec (take-while (fn [x] (< x 2)) (numbers))))
(show "first of drop-while:" (first (drop-while (fn [x] (< x 2)) (numbers))))
(show "take 3 of mapcat:" (take 3 (mapcat (fn [x] [x x]) (numbers))))
(show "first of partition:" (vec (first (partition 2 (numbers)))))
(show "first of drop:" (first (drop 3 (numbers))))
(show "take 3:" (take 3 (numbers)))
(show "a chain:" (take 2 (map inc (filter odd? (it.count)))))
(show "reduce over a finite one:" (reduce + (numbers 4)))
; doseq and for pull one item per step, after the body for the item before has run.
(doseq [x (numbers 3)] (println "body" x "pulled" (pulled)))
(show "for with :while:" (for [x (numbers) :while (< x 2)] (* 10 x)))
(doseq [[k group] (it.groupby "aabccc")] (println k (vec group)))
; some, every? and reduce pull one item at a time from an iterator, stopping when they can.
(show "some:" (some (fn [x] (when (> x 2) x)) (numbers)))
(show "every?:" (every? (fn [x] (< x 2)) (numbers)))
(println "reduce over groupby:" (reduce (fn [acc [k g]] (conj acc (str k (count (vec g))))) [] (it.groupby "aabccc")))
