;; An uncaught Python exception raised by Python code (defined here with py-exec), called from
;; a Lisp function: the Python traceback must list the Python frames it went through.
(py-exec "
def check_range(port):
    if not 0 < port < 65536:
        raise ValueError(f'port out of range: {port}')
    return port

def parse_port(text):
    return check_range(int(text))
")
(def parse-port (py-eval "parse_port"))

(defn load-ports (entries)
  (map (fn (e) (parse-port e)) entries))

(println "ports:" (load-ports ["80" "443"]))
(println "ports:" (load-ports ["8080" "70000"]))
