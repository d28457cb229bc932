;; json: encoding options, a default hook for unknown types, decoding, and decode errors.
(def json ($py "json"))
(def datetime ($py "datetime"))
(def decimal ($py "decimal"))
(def builtins ($py "builtins"))

(def data (builtins.dict [["name" "widget"] ["tags" ["a" "b"]] ["price" 9.99]
                          ["stock" nil] ["ok" true]]))
(println (json.dumps data))
(println (json.dumps data :sort-keys true))
(println (json.dumps data :sort-keys true :indent 3))
(println (json.dumps data :separators ["," ":"]))
(println (json.dumps [1 [2 [3]]] :indent "\t"))
(println (json.dumps {"b" 1 "a" 2} :sort-keys true :separators [";" "="]))

(defn encode-extra [obj]
  (cond
    (builtins.isinstance obj datetime.date) (obj.isoformat)
    (builtins.isinstance obj decimal.Decimal) (builtins.str obj)
    (builtins.isinstance obj builtins.set) (builtins.sorted obj)
    :else (throw (builtins.TypeError (format "cannot encode {}" (. (builtins.type obj) __name__))))))

(def extra (builtins.dict [["when" (datetime.date 2024 2 29)]
                           ["cost" (decimal.Decimal "1.10")]
                           ["ids" (builtins.set [3 1 2])]]))
(println (json.dumps extra :default encode-extra :sort-keys true))
(try
  (json.dumps {"x" (builtins.object)} :default encode-extra)
  (catch TypeError e (println "TypeError:" (builtins.str e))))
(try
  (json.dumps {"x" (builtins.set [1 2])})
  (catch TypeError e (println "plain dumps refuses:" (error-type e))))

(def decoded (json.loads "{\"n\": [1, 2.0, -3e2], \"s\": \"caf\\u00e9\", \"t\": true, \"z\": null}"))
(println decoded)
(println (type-of (get (get decoded "n") 1)) (get (get decoded "n") 2) (get decoded "s")
         (if (nil? (get decoded "z")) "True" "False"))
(println (json.loads "[1, 2]" :parse-int builtins.str))
(println (json.loads "{\"a\": 1, \"b\": 2}" :object-pairs-hook builtins.list))
(println (json.loads "\"just a string\"") (json.loads "3.25"))

(doseq [text ["{\"a\": 1,}" "[1, 2" "nul" ""]]
  (try
    (json.loads text)
    (catch json.JSONDecodeError e
      (println (builtins.repr text) "->" (. e msg) "line" (. e lineno) "col" (. e colno) "pos" e.pos))))

(println (json.dumps (json.loads "{\"k\": [1, {\"deep\": [true]}]}") :indent 2))
