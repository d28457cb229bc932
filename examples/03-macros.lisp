;; Macros: code that writes code. A macro gets its arguments as unevaluated
;; data and returns a new form, which is compiled in place of the call.

;; --- A first macro -----------------------------------------------------------

;; `unless` exists already; here is our own, to see how it is built.
(defmacro my-unless (test & body)
  `(if ,test nil (do ,@body)))

(my-unless (= 1 2)
  (println "1 is not 2"))

;; macroexpand shows the code a macro call turns into.
(prn (macroexpand '(my-unless done (println "working"))))

;; --- Labelling a result --------------------------------------------------------

(defmacro with-label (label & body)
  (let [result (gensym "result")]       ; a fresh name that cannot clash
    `(let [,result (do ,@body)]
       (println ,label "=>" ,result)
       ,result)))

(with-label "sum of squares" (reduce + (map (fn [x] (* x x)) (range 1 11))))

;; --- A tiny unit-test macro ----------------------------------------------------

(def failures 0)

(defmacro check (form expected)
  (let [actual (gensym "actual")]
    `(let [,actual ,form]
       (if (= ,actual ,expected)
         (println "ok  " (pr-str ',form))
         (do (set! failures (inc failures))
             (println "FAIL" (pr-str ',form) "gave" (pr-str ,actual)
                      "wanted" (pr-str ,expected)))))))

(check (+ 1 2) 3)
(check (/ 7 2) 3.5)
(check (count "héllo") 5)
(check (str "a" "b") "abc")
(println failures "failure(s)")

;; --- Threading macros come from the prelude, written the same way ----------------

(prn (macroexpand '(-> 5 (- 2) (* 10))))
(println (-> 5 (- 2) (* 10)))
