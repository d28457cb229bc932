;; Strings and their escapes. prn shows the readable form, println the text itself.

(def s "line one\nline two")
(prn s)
(println s)

(prn "tab\there")
(println "tab\there")

(prn "she said \"hi\"")
(println "she said \"hi\"")

(prn "back\\slash")
(println "back\\slash")

;; \u{...} takes 1 to 6 hex digits; \uXXXX exactly four.
(println "\u{1F600} \u00e9 \u{41}")
(prn (count "\u{1F600}"))        ; one character
(prn (count "h\u00e9llo"))
(prn "\u00e9")

;; A semicolon inside a string is not a comment.
(println "a ; b")
(prn (count ""))
