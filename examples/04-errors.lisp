;; Errors: throwing, catching, cleaning up. Every error has a type (the name
;; `error-type` gives, like Python's exception class) and a message.

;; --- Validating input --------------------------------------------------------

(defn parse-quantity (s)
  (let [n (int s)]                        ; ValueError if s is not a number
    (when (neg? n)
      (throw (str "quantity must not be negative, got " n)))
    n))

(defn try-parse (s)
  (try
    (str "ok: " (parse-quantity s))
    (catch ValueError e (str "not a number: " (pr-str s)))
    (catch e (str (error-type e) ": " (error-message e)))))

(doseq [input ["12" "-3" "twelve"]]
  (println (try-parse input)))

;; --- finally always runs -------------------------------------------------------

(def open-files 0)

(defn with-file (name f)
  (set! open-files (inc open-files))
  (println "open" name)
  (try
    (f name)
    (finally
      (set! open-files (dec open-files))
      (println "close" name))))

(println (with-file "data.txt" (fn [n] (str "read " n))))
(println (try (with-file "bad.txt" (fn [n] (/ 1 0)))
              (catch ZeroDivisionError e "recovered from a division by zero")))
(println "files still open:" open-files)

;; --- Throwing data, not just messages ---------------------------------------

(defn lookup-user (id)
  (if (= id 1)
    {:id 1 :name "Ada"}
    (throw {:error :not-found :id id})))

(defn user-name (id)
  (try
    (get (lookup-user id) :name)
    (catch e
      (let [data (error-data e)]
        (str "no user " (get data :id) " (" (get data :error) ")")))))

(println (user-name 1))
(println (user-name 7))

;; --- Recursion that is too deep is an error you can catch --------------------

(defn depth (n) (+ 1 (depth (inc n))))
(println (try (depth 0)
              (catch RecursionError e (str "caught: " (error-message e)))))
