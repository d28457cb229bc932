;; def makes a global binding; set! changes an existing one.

(def x 10)
(prn x)
(def x (+ x 1))                    ; def again replaces the value
(prn x)
(def greeting "docs for greeting" "hello")   ; an optional doc string
(prn greeting)
(def nothing)
(prn nothing)
(prn (def y 3))                    ; def returns the name it defined

(set! x 100)
(prn x)

;; set! on a local changes that local.
(prn (let [n 1] (set! n (+ n 41)) n))

;; A counter kept in a closure.
(defn make-counter ()
  (let [n 0]
    (fn () (set! n (+ n 1)) n)))
(def c (make-counter))
(c) (c)
(prn (c))
(def c2 (make-counter))
(prn (c2))

;; set! on a name never defined is an error.
(prn (try (set! undefined-name 1)
          (catch e (error-type e))))
