; This file starts with a UTF-8 byte-order mark, which is not part of the program.
(def greeting "hello")
(println greeting)
