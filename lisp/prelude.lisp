;; The prelude: core macros and functions written in polyglot's own Lisp.
;; Loaded into every engine before user code. Special forms and builtins are in Rust.

(defmacro defn
  "(defn name \"doc\"? (params) body...): defines a function."
  (name & body)
  (if (string? (first body))
    `(def ,name ,(first body) (fn ,@(rest body)))
    `(def ,name (fn ,@body))))

(defmacro when
  "(when test body...): the body (as do) when test is truthy, else nil."
  (test & body)
  `(if ,test (do ,@body)))

(defmacro unless
  "(unless test body...): the body (as do) when test is falsy, else nil."
  (test & body)
  `(if ,test nil (do ,@body)))

(defmacro if-not
  "(if-not test then else?): if with the branches swapped."
  (test then & else)
  `(if ,test (do ,@else) ,then))

(defmacro when-not
  "(when-not test body...): like unless."
  (test & body)
  `(if ,test nil (do ,@body)))

;; Clojure style: (cond test1 expr1 test2 expr2 :else default)
(defmacro cond
  "(cond test1 expr1 test2 expr2 ... :else default): the expr of the first truthy test."
  (& clauses)
  (if (empty? clauses)
    nil
    (if (empty? (rest clauses))
      (throw "cond needs an even number of forms: test expr ...")
      `(if ,(first clauses)
         ,(first (rest clauses))
         (cond ,@(rest (rest clauses)))))))

(defmacro dotimes
  "(dotimes [i n] body...): the body for i from 0 below n; nil."
  (spec & body)
  (let [i (first spec)
        n (gensym "n")]
    `(let [,n ,(first (rest spec))]
       (loop [,i 0]
         (when (< ,i ,n)
           ,@body
           (recur (+ ,i 1)))))))

(defmacro doseq
  "(doseq [x coll] body...): the body for each item of coll (Python iterables too); nil."
  (spec & body)
  (let [x (first spec)
        xs (gensym "xs")]
    `(loop [,xs (seq ,(first (rest spec)))]
       (when (not (empty? ,xs))
         (let [,x (first ,xs)]
           ,@body)
         (recur (rest ,xs))))))

(defmacro ->
  "(-> x (f a) g): threads x as the first argument through the forms: (g (f x a))."
  (x & forms)
  (if (empty? forms)
    x
    (let [f (first forms)
          call (if (list? f)
                 `(,(first f) ,x ,@(rest f))
                 (list f x))]
      `(-> ,call ,@(rest forms)))))

(defmacro ->>
  "(->> x (f a) g): threads x as the last argument through the forms: (g (f a x))."
  (x & forms)
  (if (empty? forms)
    x
    (let [f (first forms)
          call (if (list? f)
                 `(,@f ,x)
                 (list f x))]
      `(->> ,call ,@(rest forms)))))

(defmacro if-let
  "(if-let [name test] then else?): then with name bound when test is truthy."
  (spec then & else)
  (let [v (first (rest spec))
        tmp (gensym "v")]
    `(let [,tmp ,v]
       (if ,tmp
         (let [,(first spec) ,tmp] ,then)
         (do ,@else)))))

(defmacro when-let
  "(when-let [name test] body...): the body with name bound when test is truthy."
  (spec & body)
  `(if-let ,spec (do ,@body) nil))

(defmacro comment "(comment ...): ignores its forms; nil." (& _) nil)

(defn second "The second item, or nil." (xs) (first (rest xs)))

(defn seq
  "The items of a collection as a list."
  (xs)
  (if (list? xs) xs (apply list (vec xs))))

(defn complement "A function returning (not (f args...))." (f) (fn (& args) (not (apply f args))))

(defn partial "f with its first arguments given now: ((partial f a) b) is (f a b)." (f & bound) (fn (& args) (apply f (concat bound args))))

(defn comp "The composition: ((comp f g) x) is (f (g x))." (& fs)
  (if (empty? fs)
    identity
    (reduce (fn (f g) (fn (& args) (f (apply g args)))) fs)))

(defn constantly "A function that ignores its arguments and returns x." (x) (fn (& _) x))

;; (with [name context-manager] body...): __enter__, then body, then __exit__ (always; it is
;; called with None for the exception details, so it cannot swallow the error).
(defmacro with
  "(with [name manager] body...): Python's with-statement: __enter__, the body, __exit__."
  (spec & body)
  (let [mgr (gensym "mgr")
        name (first spec)]
    `(let [,mgr ,(first (rest spec))
           ,name ((. ,mgr __enter__))]
       (try
         (do ,@body)
         (finally ((. ,mgr __exit__) nil nil nil))))))
