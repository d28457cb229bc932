; time prints "Elapsed time: N.NNN ms" and returns the value; the line varies, so check its shape.
(def out (py-eval "__import__('io').StringIO()"))
(def ctx ((. ($py "contextlib") redirect-stdout) out))
(def v (with [_ ctx] (time (reduce + (range 1000)))))
(prn v)
(def line ((. ((. out getvalue)) strip)))
(prn ((. line startswith) "Elapsed time: ") ((. line endswith) " ms"))
(prn (float? (float (get (split line " ") 2))))
(prn (int? (now-ns)) (<= (now-ns) (now-ns)))
