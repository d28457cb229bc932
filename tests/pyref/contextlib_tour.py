# contextlib: suppress, redirect_stdout, a class-based manager, nullcontext, nested managers.
import contextlib
import io

with contextlib.suppress(ZeroDivisionError):
    1 / 0
    print("not reached")
print("after suppress")

with contextlib.suppress(KeyError, IndexError):
    [][3]
print("suppressed IndexError")

try:
    with contextlib.suppress(KeyError):
        int("nope")
except ValueError as e:
    print("suppress let through:", type(e).__name__)

buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    print("first line")
    print("second", 2)
captured = buf.getvalue()
print("captured:", repr(captured))
print(captured.upper(), end="")


class Tracker:
    def __init__(self, name, swallow=()):
        self.name = name
        self.swallow = swallow
        self.log = []

    def __enter__(self):
        print("enter", self.name)
        return self

    def __exit__(self, exc_type, exc, tb):
        kind = exc_type.__name__ if exc_type else "no error"
        print("exit", self.name, kind, repr(str(exc)) if exc else "")
        return exc_type is not None and issubclass(exc_type, self.swallow)


with Tracker("quiet") as t:
    print("inside", t.name)

with Tracker("lenient", (ValueError,)) as t:
    raise ValueError("bad input")
print("lenient swallowed it")

try:
    with Tracker("strict", (ValueError,)):
        raise KeyError("missing")
except KeyError as e:
    print("strict passed on", repr(e))

with contextlib.nullcontext(41) as n:
    print("nullcontext gives", n + 1)
with contextlib.nullcontext() as n:
    print("nullcontext default", n)

out = io.StringIO()
with Tracker("outer") as a, Tracker("inner", (ZeroDivisionError,)) as b, contextlib.redirect_stdout(out):
    print("hidden", a.name, b.name)
    1 / 0
print("nested captured", repr(out.getvalue()))


@contextlib.contextmanager
def tag(name):
    print(f"<{name}>")
    try:
        yield name.upper()
    finally:
        print(f"</{name}>")


with tag("b") as upper:
    print("bold", upper)

with contextlib.ExitStack() as stack:
    names = [stack.enter_context(tag(x)) for x in ["p", "i"]]
    print("stack holds", names)
