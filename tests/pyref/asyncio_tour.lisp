;; asyncio: awaiting coroutines, gather, tasks that run in the background, sleep ordering,
;; timeouts and cancellation. Each top-level form awaits on the session's one event loop.
(def asyncio ($py "asyncio"))
(def builtins ($py "builtins"))
(defn py-bool [b] (if b "True" "False"))

(py-exec "
import asyncio

async def worker(name, delay, result):
    print('start', name)
    await asyncio.sleep(delay)
    print('end', name)
    return result

async def add(a, b):
    await asyncio.sleep(0)
    return a + b

async def slow():
    await asyncio.sleep(10)
    return 'never'
")
(def worker (py-eval "worker"))
(def add (py-eval "add"))
(def slow (py-eval "slow"))

(println "awaited:" (await (add 40 2)))

(def results (await (asyncio.gather (worker "a" 0.02 1) (worker "b" 0.2 2) (worker "c" 0.08 3))))
(println "gather:" results)

(def task (asyncio.create-task (worker "bg" 0.14 "background")))
(println "task created, done?" (py-bool (task.done)))
(println "gather again:" (await (asyncio.gather (worker "x" 0.02 "x") (worker "y" 0.25 "y"))))
(println "task done after gather?" (py-bool (task.done)))
(println "task result:" (await task))

(def t2 (asyncio.create-task (add 1 2)))
(await (asyncio.sleep 0.01))
(println "t2:" (py-bool (t2.done)) (t2.result))

(try
  (await (asyncio.wait-for (slow) 0.05))
  (catch TimeoutError e (println "timed out")))

(def t3 (asyncio.create-task (slow)))
(await (asyncio.sleep 0))
(t3.cancel)
(try
  (await t3)
  (catch CancelledError e (println "cancelled:" (py-bool (t3.cancelled)))))

(def squares (await (apply asyncio.gather (for [i (range 5)] (add i (- (* i i) i))))))
(println "squares:" squares)

(def q (asyncio.Queue))
(py-exec "
async def producer(q):
    for i in range(3):
        await q.put(i)
        print('put', i)
    await q.put(None)

async def consumer(q):
    got = []
    while (item := await q.get()) is not None:
        got.append(item * 10)
    return got
")
(let [[_ got] (await (asyncio.gather ((py-eval "producer") q) ((py-eval "consumer") q)))]
  (println "consumed:" got))
