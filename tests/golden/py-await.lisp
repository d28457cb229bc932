;; (await x): runs a Python awaitable to completion; any other value is returned as it is.
(py-exec "
import asyncio
async def add(a, b):
    await asyncio.sleep(0.001)
    return a + b
async def both():
    return await asyncio.gather(add(1, 2), add(3, 4))
")
(def add (py-eval "add"))
(def asyncio ($py "asyncio"))

(def pending (add 40 2))
(prn (type-of pending))
(prn (await pending))

(prn (await (add "a" "b")))
(println (await ((py-eval "both"))))
(prn (await (asyncio.sleep 0 :result "slept")))

;; Plain values pass through.
(prn (await 5))
(prn (await "text"))
(prn (await nil))
(prn (await [1 2 3]))
(println (await (->py {:a 1})))

;; An exception in the coroutine is raised by await.
(py-exec "async def fail():\n    raise ValueError('async failure')")
(prn (try (await ((py-eval "fail"))) (catch ValueError e (error-message e))))

;; Awaiting in a loop reuses the event loop.
(prn (map (fn (i) (await (add i i))) (range 4)))
