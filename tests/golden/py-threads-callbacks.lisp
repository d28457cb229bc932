; Lisp functions called from other Python threads run on the evaluator's thread while the
; caller waits, and return or raise there.
(def cf ($py "concurrent.futures"))
(def threading ($py "threading"))
(def pool (cf.ThreadPoolExecutor 4))
(println (vec ((. pool map) (fn [x] (* x x)) (range 8))))
(def seen (py-eval "[]"))
(def worker (threading.Thread :target (fn [] ((. seen append) "ran in a thread"))))
(worker.start)
(worker.join)
(println seen)
(defn fails [x] (throw (str "no " x)))
(try (vec ((. pool map) fails [1])) (catch e (println "raised in the thread:" (error-message e))))
(py-exec "
import threading
def hammer(f, n_threads=8, calls=125):
    total = []
    lock = threading.Lock()
    def work():
        for i in range(calls):
            v = f(i)
            with lock:
                total.append(v)
    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads: t.start()
    for t in threads: t.join()
    return len(total), sum(total)
")
(println ((py-eval "hammer") inc))
(def asyncio ($py "asyncio"))
(py-exec "
import asyncio
async def in_executor(f):
    return await asyncio.get_running_loop().run_in_executor(None, f, 20)
")
(println (await ((py-eval "in_executor") (fn [x] (+ x 22)))))
((. pool shutdown))
