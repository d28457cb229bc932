;; Collections: vectors, lists and maps, and the functions that work on them.
;; A little inventory program and a word counter.

;; --- An inventory as a vector of maps -------------------------------------

(def inventory
  [{:item "apple"  :price 0.5  :qty 40}
   {:item "pear"   :price 0.75 :qty 0}
   {:item "melon"  :price 3.0  :qty 5}
   {:item "cherry" :price 0.1  :qty 300}])

(defn in-stock? (entry) (pos? (get entry :qty)))
(defn value-of (entry) (* (get entry :price) (get entry :qty)))

(println "items in stock:" (map (fn [e] (get e :item)) (filter in-stock? inventory)))
(println "total value:" (reduce + (map value-of inventory)))

;; Maps are values: assoc returns a new map and leaves the old one alone.
(def restocked (assoc (second inventory) :qty 12))
(println "restocked:" restocked)
(println "original: " (second inventory))

;; The most valuable line, by sorting on a computed key.
(def by-value (sort-by value-of inventory))
(println "most valuable:" (get (last by-value) :item))

;; --- Counting words --------------------------------------------------------

(def text "the cat sat on the mat the end")

(defn word-counts (s)
  (reduce (fn [counts word]
            (assoc counts word (inc (get counts word 0))))
          {}
          (split s " ")))

(def counts (word-counts text))
(prn counts)

;; A map is a collection of [key value] pairs, so sort-by and take work on it.
;; (sort-by is stable: words with equal counts keep their first-seen order.)
(println "top three:")
(doseq [pair (take 3 (sort-by (fn [pair] (- (second pair))) counts))]
  (println (str "  " (first pair) ": " (second pair))))
