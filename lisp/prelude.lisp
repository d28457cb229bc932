;; The prelude: core macros and functions written in polyglot's own Lisp.
;; Loaded into every engine before user code. Special forms and builtins are in Rust.

(defmacro defn (name & body)
  (if (string? (first body))
    `(def ,name (fn ,@(rest body)))
    `(def ,name (fn ,@body))))

(defmacro when (test & body)
  `(if ,test (do ,@body)))

(defmacro unless (test & body)
  `(if ,test nil (do ,@body)))

(defmacro if-not (test then & else)
  `(if ,test (do ,@else) ,then))

(defmacro when-not (test & body)
  `(if ,test nil (do ,@body)))

;; Clojure style: (cond test1 expr1 test2 expr2 :else default)
(defmacro cond (& clauses)
  (if (empty? clauses)
    nil
    (if (empty? (rest clauses))
      (throw "cond needs an even number of forms: test expr ...")
      `(if ,(first clauses)
         ,(first (rest clauses))
         (cond ,@(rest (rest clauses)))))))

(defmacro dotimes (spec & body)
  (let [i (first spec)
        n (gensym "n")]
    `(let [,n ,(first (rest spec))]
       (loop [,i 0]
         (when (< ,i ,n)
           ,@body
           (recur (+ ,i 1)))))))

(defmacro doseq (spec & body)
  (let [x (first spec)
        xs (gensym "xs")]
    `(loop [,xs (seq ,(first (rest spec)))]
       (when (not (empty? ,xs))
         (let [,x (first ,xs)]
           ,@body)
         (recur (rest ,xs))))))

(defmacro -> (x & forms)
  (if (empty? forms)
    x
    (let [f (first forms)
          call (if (list? f)
                 `(,(first f) ,x ,@(rest f))
                 (list f x))]
      `(-> ,call ,@(rest forms)))))

(defmacro ->> (x & forms)
  (if (empty? forms)
    x
    (let [f (first forms)
          call (if (list? f)
                 `(,@f ,x)
                 (list f x))]
      `(->> ,call ,@(rest forms)))))

(defmacro if-let (spec then & else)
  (let [v (first (rest spec))
        tmp (gensym "v")]
    `(let [,tmp ,v]
       (if ,tmp
         (let [,(first spec) ,tmp] ,then)
         (do ,@else)))))

(defmacro when-let (spec & body)
  `(if-let ,spec (do ,@body) nil))

(defmacro comment (& _) nil)

(defn second (xs) (first (rest xs)))

(defn seq (xs)
  "The items of a collection as a list."
  (if (list? xs) xs (apply list (vec xs))))

(defn complement (f) (fn (& args) (not (apply f args))))

(defn partial (f & bound) (fn (& args) (apply f (concat bound args))))

(defn comp (& fs)
  (if (empty? fs)
    identity
    (reduce (fn (f g) (fn (& args) (f (apply g args)))) fs)))

(defn constantly (x) (fn (& _) x))

;; (with [name context-manager] body...): __enter__, then body, then __exit__ (always; it is
;; called with None for the exception details, so it cannot swallow the error).
(defmacro with (spec & body)
  (let [mgr (gensym "mgr")
        name (first spec)]
    `(let [,mgr ,(first (rest spec))
           ,name ((. ,mgr __enter__))]
       (try
         (do ,@body)
         (finally ((. ,mgr __exit__) nil nil nil))))))
