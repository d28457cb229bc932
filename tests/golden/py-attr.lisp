;; (. obj attr): attribute access. (. obj a b c) is obj.a.b.c. Attribute names may be symbols
;; or strings.
(def os ($py "os"))
(def math ($py "math"))

(prn (. math pi))
(prn (. os path sep))
(prn (. os "path" "sep"))
(prn ((. os path join) "a" "b" "c"))

(py-exec "
class Node:
    def __init__(self, name, child=None):
        self.name = name
        self.child = child
    def path(self):
        return self.name if self.child is None else self.name + '/' + self.child.path()
")
(def Node (py-eval "Node"))
(def tree (Node "root" (Node "mid" (Node "leaf"))))

(prn (. tree name))
(prn (. tree child name))
(prn (. tree child child name))
(prn (. tree child child child))
(prn ((. tree path)))
(prn ((. tree child path)))

;; A chain can be kept and extended later; nothing runs until it is used.
(def middle (. tree child))
(prn (. middle child name))

;; Class attributes and methods looked up on the class.
(prn (. Node __name__))
(prn ((. Node path) tree))
