; One event loop for the session: tasks and futures made in one form are awaited in another.
(def asyncio ($py "asyncio"))
(py-exec "
import asyncio
async def double(x, delay=0.01):
    await asyncio.sleep(delay)
    return x * 2
")
(def double (py-eval "double"))
(println (await (double 21)))
(println (await (asyncio.gather (double 1) (double 2) (double 3))))
(def task (asyncio.create-task (double 50)))
(println ((. task done)))
(println (await task))
(def fut ((. (asyncio.get-event-loop) create-future)))
((. (asyncio.get-event-loop) call-soon) (. fut set-result) "resolved later")
(println (await fut))
