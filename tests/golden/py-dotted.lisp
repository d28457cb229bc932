;; a.b.c as a symbol is (. a b c) when `a` is bound: globals, locals and parameters alike.
(def np ($py "numpy"))
(def math ($py "math"))

(prn math.pi)
(prn (math.sqrt 16))
(prn (np.linalg.norm [3 4]))
(prn (np.sum [1 2 3]))

(let [m ($py "math")]
  (prn (m.floor 2.7)))

(defn hypot (lib x y) (lib.hypot x y))
(prn (hypot math 3 4))

(let [s "a-b-c"]
  (prn (->lisp (s.split "-"))))

;; A global whose own name has a dot wins over attribute access.
(def config.path "/etc/app")
(prn config.path)

;; When the head is not bound, a dotted symbol is just an unbound symbol.
(prn (try nothing-here.attr (catch e (list (error-type e) (error-message e)))))

;; Dotted symbols are also callable attributes of handles.
(def words (->py ["b" "c" "a"]))
(words.sort)
(words.append "d")
(println words)
