;; String helpers.

(prn (str "con" "cat" "enation"))
(prn (subs "hello world" 6) (subs "hello" 1 3))
(prn (join ", " ["a" "b" "c"]) (join [1 2 3]) (join "-" '(:a 1)))
(prn (split "a,b,,c" ","))
(prn (upper-case "MiXed") (lower-case "MiXed"))
(prn (trim "   padded \n"))
(prn (count "naïve") (first "xyz") (reverse "abc"))
(prn (= "abc" (str "a" "bc")))
(prn (sort ["banana" "apple" "cherry"]))
