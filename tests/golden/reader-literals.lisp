;; true false nil, their Scheme spellings, and keywords.

(prn true false nil)
(prn #t #f)
(prn (= #t true) (= #f false))
(prn (type-of true) (type-of nil))

(prn :axis)
(prn :a.b :ns/key)
(prn (keyword? :axis) (type-of :axis))
(prn (= :axis :axis) (= :axis "axis"))
(prn (name :axis) (keyword "axis"))
;; Keywords are handy map keys.
(prn (get {:axis 0 :keepdims true} :axis))
