;; A misspelled name: a NameError pointing at the symbol, with a suggestion.
(println "this line runs")
(pritnln "hello")
