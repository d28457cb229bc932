#!/usr/bin/env polyglot
;; A `#!` first line is ignored. *argv* holds the script's arguments (none here).

(prn *argv*)
(prn (vector? *argv*) (count *argv*))
(println "ran past the #! line")
