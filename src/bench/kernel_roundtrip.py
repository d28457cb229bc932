# P17: execute_request -> execute_reply round trips through one jupyter_client
# BlockingKernelClient, for the polyglot kernel and for ipykernel, interleaved.
# argv: polyglot-kernel-name reps rounds. Prints "ours S" / "base S" lines (seconds per round).
import sys
import time

import jupyter_client

name, reps, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def start(kernel):
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name=kernel)
    return km, kc


def round_trips(kc, code, n):
    t = time.perf_counter()
    for _ in range(n):
        msg_id = kc.execute(code, store_history=False)
        while True:
            reply = kc.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
    return (time.perf_counter() - t) / n


ours = start(name)
base = start("python3")
try:
    for kc, code in ((ours[1], "(+ 1 2)"), (base[1], "1+2")):
        round_trips(kc, code, max(5, rounds // 10))
    for _ in range(reps):
        print("ours", round_trips(ours[1], "(+ 1 2)", rounds), flush=True)
        print("base", round_trips(base[1], "1+2", rounds), flush=True)
finally:
    for km, kc in (ours, base):
        kc.stop_channels()
        km.shutdown_kernel(now=True)
