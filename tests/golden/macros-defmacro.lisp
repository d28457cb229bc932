;; defmacro with quasiquote, gensym and macroexpand.

;; A macro receives its arguments unevaluated and returns code.
(defmacro my-unless (test & body)
  `(if ,test nil (do ,@body)))
(prn (my-unless false :ran))
(prn (macroexpand '(my-unless false (println "a") (println "b"))))

;; macroexpand-1 expands once; macroexpand until the head is no longer a macro.
(prn (macroexpand-1 '(-> x (f 1) g)))
(prn (macroexpand '(-> x (f 1) g)))
(prn (macroexpand '(when ready (go))))
(prn (macroexpand '(+ 1 2)))           ; not a macro call: unchanged

;; gensym makes fresh symbols, so a macro's temporaries cannot capture the user's names.
(prn (symbol? (gensym)) (= (gensym) (gensym)))

(defmacro swap! (a b)
  (let [tmp (gensym "tmp")]
    `(let [,tmp ,a]
       (set! ,a ,b)
       (set! ,b ,tmp))))
(def x 1)
(def y 2)
(swap! x y)
(prn [x y])

;; Without gensym the macro's own `t` captures the caller's `t`:
(defmacro bad-or (a b) `(let [t ,a] (if t t ,b)))
(prn (let [t 5] (bad-or false t)))     ; false, not 5
(defmacro good-or (a b)
  (let [t (gensym "t")] `(let [,t ,a] (if ,t ,t ,b))))
(prn (let [t 5] (good-or false t)))    ; 5

;; Macros may compute at expansion time.
(defmacro compile-time-sum (& xs) (apply + xs))
(prn (compile-time-sum 1 2 3))
(prn (macroexpand '(compile-time-sum 1 2 3)))

;; A macro that builds a function definition.
(defmacro defconst (name value) `(defn ,name () ,value))
(defconst answer 42)
(prn (answer))
(prn (type-of my-unless))
