# asyncio: awaiting coroutines, gather, tasks that run in the background, sleep ordering,
# timeouts and cancellation.
import asyncio


async def worker(name, delay, result):
    print("start", name)
    await asyncio.sleep(delay)
    print("end", name)
    return result


async def add(a, b):
    await asyncio.sleep(0)
    return a + b


async def slow():
    await asyncio.sleep(10)
    return "never"


async def main():
    print("awaited:", await add(40, 2))

    results = await asyncio.gather(worker("a", 0.02, 1), worker("b", 0.2, 2), worker("c", 0.08, 3))
    print("gather:", results)

    task = asyncio.create_task(worker("bg", 0.14, "background"))
    print("task created, done?", task.done())
    print("gather again:", await asyncio.gather(worker("x", 0.02, "x"), worker("y", 0.25, "y")))
    print("task done after gather?", task.done())
    print("task result:", await task)

    t2 = asyncio.create_task(add(1, 2))
    await asyncio.sleep(0.01)
    print("t2:", t2.done(), t2.result())

    try:
        await asyncio.wait_for(slow(), 0.05)
    except TimeoutError:
        print("timed out")

    t3 = asyncio.create_task(slow())
    await asyncio.sleep(0)
    t3.cancel()
    try:
        await t3
    except asyncio.CancelledError:
        print("cancelled:", t3.cancelled())

    squares = await asyncio.gather(*[add(i, i * i - i) for i in range(5)])
    print("squares:", squares)

    q = asyncio.Queue()

    async def producer():
        for i in range(3):
            await q.put(i)
            print("put", i)
        await q.put(None)

    async def consumer():
        got = []
        while (item := await q.get()) is not None:
            got.append(item * 10)
        return got

    _, got = await asyncio.gather(producer(), consumer())
    print("consumed:", got)


asyncio.run(main())
