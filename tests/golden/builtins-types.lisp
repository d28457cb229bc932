;; type-of, gensym, and the predicates.

(prn (map type-of [nil true 1 (pow 2 80) 1.5 "s" :k 'sym '(1) [1] {:a 1}]))
(prn (type-of inc) (type-of (fn [] 1)) (type-of when))

(def g1 (gensym))
(def g2 (gensym "tmp"))
(prn (symbol? g1) (symbol? g2) (= g1 g2))

(prn (nil? nil) (nil? false) (some? false) (some? nil))
(prn (true? true) (true? 1) (false? false) (false? nil))
(prn (number? 1) (number? 1.0) (number? "1"))
(prn (int? 1) (int? (pow 2 70)) (int? 1.0) (float? 1.0))
(prn (string? "s") (symbol? 's) (keyword? :k))
(prn (list? '(1)) (list? [1]) (vector? [1]) (map? {}))
(prn (fn? inc) (fn? (fn [] 1)) (fn? when) (bool? false) (bool? nil))
(prn (zero? 0) (zero? 0.0) (pos? 1) (neg? -1) (even? 4) (odd? 4))

(prn (symbol "abc") (keyword "abc") (name :abc) (name 'abc))
(prn (float 3) (float "2.5") (int 3.9) (int -3.9) (int "42"))
(prn (abs -5) (min 3 1 2) (max 3 1.5) (inc 1) (dec 1))
