;; println shows a handle as Python's str(obj); prn shows the ref form
;; #<py TYPE hID repr> with the type, the handle id and a short repr.
(def np ($py "numpy"))
(py-exec "
class Money:
    def __init__(self, cents):
        self.cents = cents
    def __str__(self):
        return f'${self.cents / 100:.2f}'
    def __repr__(self):
        return f'Money({self.cents})'
")
(def price ((py-eval "Money") 1999))
(println price)
(prn price)
(println "price:" price)
(prn (str price))
(prn (str "[" price "]"))

(def a (np.zeros 3))
(println a)
(prn a)
(prn (type-of a))

(def d (->py {:k [1 2]}))
(println d)
(prn d)

;; Strings inside a Python object print as Python shows them.
(def words (->py ["it's" "ok"]))
(println words)
(prn words)

;; A long repr is shortened in the ref form; str() is not.
(def long-list (py-eval "list(range(40))"))
(prn long-list)
(println long-list)

;; A collection that holds handles prints each one.
(prn [price a])
(println [price a])
(prn {:price price})
