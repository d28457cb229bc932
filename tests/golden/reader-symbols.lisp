;; Symbols may contain punctuation: all of these read as plain symbols.

(prn 'set! 'nd? '-> '->> 'a.b.c '$py '. 'a/b '+ '- '<=)
(prn (map type-of (list 'set! 'nd? '-> 'a.b.c '$py '.)))
(prn (symbol? 'nd?))
(prn (= 'set! (symbol "set!")))
(prn (name 'a.b.c))

;; They work as names of your own definitions too.
(def ready? true)
(def count->str (fn [n] (str n " items")))
(def *depth* 3)
(prn ready? (count->str 2) *depth*)
