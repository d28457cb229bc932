;; The prelude: core macros and functions written in polyglot's own Lisp.
;; Loaded into every engine before user code. Special forms and builtins are in Rust.

(defmacro defn
  "(defn name \"doc\"? (params) body...): defines a function. The doc string may also come
  right after the parameters, as in Common Lisp, when more forms follow it."
  (name & body)
  (if (string? (first body))
    `(def ,name ,(first body) (fn ,@(rest body)))
    (if (and (string? (first (rest body)))
             (not (empty? (rest (rest body))))
             (or (vector? (first body)) (list? (first body))))
      `(def ,name ,(first (rest body)) (fn ,(first body) ,@(rest (rest body))))
      `(def ,name (fn ,@body)))))

(defmacro with-worker
  "(with-worker n body...): body as do, its Python calls on worker n (from 0, the home
  worker; --workers sets how many). In-process, body simply runs."
  (n & body)
  `(%with-worker ,n (fn [] ,@body)))

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

;; The items of a for/doseq binding, one at a time: a Lisp seq, or for a Python iterator a
;; cursor [:%py-cursor iterator item] that pulls the next item only when asked (a generator's
;; output interleaves with the body's, and infinite iterators work).
(defn %cursor "Internal: the first step over coll." (coll)
  (if (py-iterator? coll) (%pull coll) (seq coll)))
(defn %pull "Internal: a cursor at the next item of a Python iterator, or ()." (it)
  (let [got (take 1 it)]
    (if (empty? got) () [:%py-cursor it (first got)])))
(defn %py-cursor? "Internal." (c) (and (vector? c) (= (first c) :%py-cursor)))
(defn %head "Internal: the item at a cursor." (c) (if (%py-cursor? c) (nth c 2) (first c)))
(defn %step "Internal: the cursor after this item." (c) (if (%py-cursor? c) (%pull (nth c 1)) (rest c)))

;; The expansion names `list` under a private name: a program that defines its own `list`
;; (Python users often do) keeps a working `for`.
(def %list list)

;; `for` and `doseq` share one expansion: nested loops over the bindings, each threading an
;; accumulator. `leaf` makes the innermost form from the accumulator's symbol.
(defn %comprehension
  "Internal: expands the bindings of for/doseq into nested loops."
  (what bindings leaf acc)
  (if (empty? bindings)
    (leaf acc)
    (let [pat (first bindings)
          coll (second bindings)
          split (loop [mods [] r (rest (rest bindings))]
                  (if (and (not (empty? r)) (keyword? (first r)))
                    (if (empty? (rest r))
                      (syntax-error (str "`" what "`: " (first r) " needs a form after it"))
                      (recur (conj mods [(first r) (second r)]) (rest (rest r))))
                    [mods r]))
          xs (gensym "xs")
          a (gensym "acc")
          next-acc (gensym "next")
          ;; The body runs before the next item is pulled (a generator's items, and groupby's
          ;; groups, are used in step).
          inner (fn [] `(let [,next-acc ,(%comprehension what (second split) leaf a)]
                          (recur (%step ,xs) ,next-acc)))
          mods (fn mods (ms)
                 (if (empty? ms)
                   (inner)
                   (let [m (first ms)
                         k (first m)
                         v (second m)]
                     (cond
                       (= k :when) `(if ,v ,(mods (rest ms)) (recur (%step ,xs) ,a))
                       (= k :while) `(if ,v ,(mods (rest ms)) ,a)
                       (= k :let) `(let ,v ,(mods (rest ms)))
                       :else (syntax-error
                               (str "`" what "` takes :when, :while and :let after a binding, not " k))))))]
      (when (keyword? pat)
        (syntax-error (str "`" what "`: " pat " must follow a binding (name collection)")))
      `(loop [,xs (%cursor ,coll) ,a ,acc]
         (if (empty? ,xs)
           ,a
           (let [,pat (%head ,xs)]
             ,(mods (first split))))))))

(defn %check-bindings
  "Internal: the bindings vector of for/doseq, checked."
  (what spec)
  (cond
    (not (or (vector? spec) (list? spec)))
    (syntax-error (str "`" what "` takes a vector of bindings: (" what " [x coll] body...)"))
    (odd? (count spec))
    (syntax-error (str "`" what "` bindings need pairs: [name coll :when test ...]"))
    (empty? spec)
    (syntax-error (str "`" what "` needs at least one binding: [x coll]"))
    :else spec))

(defmacro doseq
  "(doseq [x coll :when t :let [y e] :while t ...] body...): the body for each item (Python iterables too); nil. Several bindings nest; patterns destructure."
  (spec & body)
  (let [spec (%check-bindings "doseq" spec)]
    `(do ,(%comprehension "doseq" spec (fn (a) `(do ,@body ,a)) nil) nil)))

(defmacro for
  "(for [x xs :when (odd? x) :let [y (* x x)] z zs :while (< z 10)] body): a list of body for every combination of items (the last binding varies fastest); :when skips, :while stops its binding's items, :let binds."
  (spec & body)
  (let [spec (%check-bindings "for" spec)]
    `(apply %list ,(%comprehension "for" spec (fn (a) `(conj ,a (do ,@body))) []))))

(defmacro time
  "(time expr): evaluates expr, prints \"Elapsed time: 1.234 ms\" (its wall-clock time) and returns its value."
  (expr)
  (let [start (gensym "start")
        v (gensym "v")]
    `(let [,start (now-ns)
           ,v ,expr]
       (println (format "Elapsed time: {:.3f} ms" (/ (- (now-ns) ,start) 1000000.0)))
       ,v)))

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

;; (with [name manager ...] body...): Python's with-statement. __enter__, the body, then
;; __exit__ with the exception's type and value (None on success); a true answer from __exit__
;; suppresses the error. Several managers nest, the first outermost.
(defmacro with
  "(with [name manager ...] body...): Python's with-statement: __enter__, the body, __exit__ (which may suppress the error)."
  (spec & body)
  (if (empty? spec)
    `(do ,@body)
    (let [mgr (gensym "mgr")
          name (first spec)
          outcome (gensym "outcome")
          err (gensym "err")]
      `(let [,mgr ,(first (rest spec))
             ,name ((. ,mgr __enter__))
             ,outcome (try [true (with ,(vec (drop 2 spec)) ,@body)]
                           (catch ,err [false ,err]))]
         (if (get ,outcome 0)
           (do ((. ,mgr __exit__) nil nil nil) (get ,outcome 1))
           (let [,err (get ,outcome 1)]
             (if (truthy? ((. ,mgr __exit__) ((. ($py "builtins") type) ,err) ,err nil))
               nil
               (throw ,err))))))))
