;; let: both binding styles, sequential binding, shadowing, closures.

(prn (let ((a 1) (b 2)) (+ a b)))           ; Scheme style
(prn (let [a 1 b 2] (+ a b)))               ; Clojure style
(prn (let [a 1 b (+ a 1) c (* b 10)] [a b c]))   ; later bindings see earlier ones
(prn (let ((a 1) (b (* a 5))) b))

(def x :global)
(prn (let [x :local] x))
(prn x)
(prn (let [x 1] (let [x (+ x 1)] x)))       ; inner shadows outer

(prn (let [] :empty-bindings))
(prn (let [a 1]))                           ; no body: nil
(prn (let [a 1] (println "body") (+ a 1)))  ; body is like do

;; A closure remembers its let bindings.
(def add5 (let [n 5] (fn (x) (+ x n))))
(prn (add5 10))
