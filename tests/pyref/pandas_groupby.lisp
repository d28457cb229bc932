;; pandas: split-apply-combine with groupby.
(def pd ($py "pandas"))

(def df (pd.DataFrame {:city ["Oslo" "Lima" "Oslo" "Pune" "Lima" "Oslo"]
                       :kind ["tea" "tea" "coffee" "tea" "coffee" "tea"]
                       :sales [120 80 200 50 90 30]
                       :units [3 2 5 1 2 1]}))
(println df)

(def by-city (get (df.groupby "city") (list "sales" "units")))
(println (by-city.sum))
(println (by-city.mean))
(println ((. (df.groupby "city") size)))
(println ((. (get (df.groupby "city") "sales") max)))
(println ((. (get (df.groupby "city") "units") mean)))
(println ((. (get (df.groupby (list "city" "kind")) "sales") sum)))
(println ((. (df.groupby "kind") agg) {:sales "sum" :units "mean"}))

(doseq [pair (df.groupby "city")]
  (let [name (get pair 0)
        group (get pair 1)]
    (println name (count group) ((. (get group "sales") sum)))))

(def totals ((. (get (by-city.sum) "sales") to-dict)))
(println totals)
(println (get totals "Oslo"))

(set! (get df "revenue") (* (get df "sales") (get df "units")))
(println ((. (df.groupby "kind" :as-index false) agg) :total (pd.NamedAgg "revenue" "sum")))
(println ((. (get (df.groupby "city") "revenue") sum)))
