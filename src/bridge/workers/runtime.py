"""polyglot's Python worker: the Python half of the workers backend (docs/protocol.md).

Started by the host as ``python -u runtime.py 3 4``: requests are read on fd 3, replies written
on fd 4, one framed binary message each. ``python runtime.py --self-test [VECTORS]`` checks the
codec against tests/protocol/vectors.txt and exits 0, or non-zero with the failures;
``--write-vectors PATH`` writes that file from the values named in ``vector_values()``;
``--replay FRAMES`` reads a file of host -> worker frames (back to back, as the host sends them)
into memory, then times the worker's decode+dispatch loop over them in process (replies written
to os.devnull, output capture off unless the frames turn it on) and prints one JSON line
``{"messages": N, "seconds": S}``: the in-process baseline of the pipelining benchmark.

Standard library only (NumPy is used when it can be imported). Python 3.8+.

Every step has the semantics of the embedded backend (src/bridge/embedded/), which is the
reference: the helpers below are its HELPERS, and the conversions follow convert.rs.

The runtime keeps out of the user's way: it runs as a module of its own (not ``__main__``; the
namespace of ``eval``/``exec`` is a fresh ``__main__`` module, so pickling what ``exec``
defines works), and its code is compiled under the file name ``<polyglot>``, whose frames
formatted tracebacks leave out, as the embedded backend's helpers are.
"""

if __name__ == '__main__':
    # Run as a script: execute this file again as the module `_polyglot_worker`, compiled as
    # "<polyglot>", and let it set up a fresh `__main__` for the user.
    import sys as _sys

    def _polyglot_bootstrap():
        import os
        import types
        path = os.path.abspath(__file__)
        with open(path, encoding='utf-8') as f:
            source = f.read()
        module = types.ModuleType('_polyglot_worker')
        module.__file__ = path
        module.__dict__['_SOURCE'] = source
        module.__dict__['_SCRIPT_GLOBALS'] = globals()
        exec(compile(source, '<polyglot>', 'exec', dont_inherit=True), module.__dict__)
        return module.main(_sys.argv[1:])

    _sys.exit(_polyglot_bootstrap())

import builtins as _builtins
import collections
import itertools
import operator
import os
import signal
import struct
import sys
import threading
import traceback
import types

# ---------------------------------------------------------------------------------------------
# The embedded backend's helpers (src/bridge/embedded/mod.rs and ops.rs, HELPERS), unchanged
# except that format_exc also leaves out frames of this file when it is imported under its
# real name.

_loop = None


def session_loop():
    # One event loop for the whole session, also the one asyncio.gather and ensure_future
    # pick up outside a running loop, so tasks and futures live across top-level forms.
    global _loop
    import asyncio, warnings
    if _loop is None or _loop.is_closed():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                _loop = asyncio.get_event_loop()
            except RuntimeError:
                _loop = None
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
        asyncio.set_event_loop(_loop)
    return _loop


def _page_event_loop():
    """In a page (Pyodide), asyncio's loop is the browser's own (WebLoop): it runs callbacks
    only between JS tasks, so nothing could be awaited while a request runs. The session's loop
    there is an ordinary asyncio loop whose waits are sleeps (nothing to select on: no sockets
    or pipes in a page), made the policy's loop, new loops included, and no loop is "running"
    between requests (WebLoop always is), as in a process."""
    import asyncio
    import time

    class _Sleeps:
        def select(self, timeout):
            if timeout:
                time.sleep(timeout)
            return []

        def close(self):
            pass

    class PageLoop(asyncio.BaseEventLoop):
        def __init__(self):
            asyncio.BaseEventLoop.__init__(self)
            self._selector = _Sleeps()

        def _process_events(self, event_list):
            pass

        def _write_to_self(self):
            pass

    policy = asyncio.get_event_loop_policy()
    policy.new_event_loop = PageLoop
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(PageLoop())


def patch_asyncio():
    # asyncio.create_task outside a running loop (a top-level form) schedules the task on the
    # session's loop, as a notebook's always-running loop would.
    import asyncio
    if getattr(asyncio.create_task, '_polyglot', False):
        return
    original = asyncio.create_task

    def create_task(coro, **kw):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return session_loop().create_task(coro, **kw)
        return original(coro, **kw)
    create_task._polyglot = True
    create_task.__doc__ = original.__doc__
    asyncio.create_task = create_task


def run_awaitable(x):
    import asyncio, inspect
    if not inspect.isawaitable(x):
        return x
    loop = session_loop()
    if inspect.iscoroutine(x):
        task = loop.create_task(x)
    else:
        task = asyncio.ensure_future(x, loop=loop)
    try:
        return loop.run_until_complete(task)
    except KeyboardInterrupt:
        # Ctrl-C cancels the awaited task; the loop and the other tasks stay usable.
        task.cancel()
        try:
            loop.run_until_complete(task)
        except BaseException:
            pass
        raise


def throwable(x):
    if isinstance(x, type) and issubclass(x, BaseException):
        x = x()
    return x if isinstance(x, BaseException) else None


def make_exception(name, message):
    cls = getattr(_builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        cls = RuntimeError
    return cls(message)


# This file's frames: "<polyglot>" when run as the worker, the file's path when imported.
_OWN_FILES = ('<polyglot>', (lambda: 0).__code__.co_filename)


def format_exc(e):
    # polyglot's own helper frames (compiled as "<polyglot>") are not the user's.
    te = traceback.TracebackException(type(e), e, e.__traceback__)

    def drop_ours(t):
        while t is not None:
            t.stack = traceback.StackSummary.from_list(
                [f for f in t.stack if f.filename not in _OWN_FILES])
            t = t.__cause__ or t.__context__
    drop_ours(te)
    return safe_text(''.join(te.format()))


def safe_text(s):
    # Lone surrogates (from bytes decoded with surrogateescape) shown as escapes, not lost.
    return s.encode('utf-8', 'backslashreplace').decode('utf-8')


def exception_text(e):
    try:
        return safe_text(str(e))
    except BaseException:
        return '<exception str() failed>'


def take(it, n):
    return list(itertools.islice(it, n))


def type_name(t):
    m = getattr(t, '__module__', None)
    q = getattr(t, '__qualname__', t.__name__)
    return q if m in (None, 'builtins') else m + '.' + q


import copy as _copy


def lisp_assoc(obj, pairs):
    new = _copy.copy(obj)
    for k, v in pairs:
        if isinstance(new, list) and isinstance(k, int) and k == len(new):
            new.append(v)
        else:
            new[k] = v
    return new


def lisp_dissoc(obj, keys):
    new = _copy.copy(obj)
    for k in keys:
        try:
            del new[k]
        except (KeyError, IndexError):
            pass
    return new


def is_iterator(x):
    try:
        return iter(x) is x
    except TypeError:
        return False


def _truth(r):
    return r is not None and r is not False


def _partition(n, it):
    import itertools
    it = iter(it)
    while True:
        chunk = list(itertools.islice(it, n))
        if len(chunk) < n:
            return
        yield chunk


def lisp_lazy(op, args):
    import itertools
    if op == 'map':
        return map(args[0], *args[1:])
    if op == 'mapcat':
        return itertools.chain.from_iterable(map(args[0], *args[1:]))
    f, it = args
    if op == 'filter':
        return (x for x in it if _truth(f(x)))
    if op == 'remove':
        return (x for x in it if not _truth(f(x)))
    if op == 'keep':
        return (y for y in map(f, it) if y is not None)
    if op == 'take_while':
        return itertools.takewhile(lambda x: _truth(f(x)), it)
    if op == 'drop_while':
        return itertools.dropwhile(lambda x: _truth(f(x)), it)
    if op == 'partition':
        return _partition(f, it)
    if op == 'drop':
        return itertools.islice(it, f, None)
    raise ValueError(op)


def lisp_conj(obj, items):
    if isinstance(obj, tuple):
        return obj + tuple(items)
    new = _copy.copy(obj)
    for x in items:
        if isinstance(new, list):
            new.append(x)
        elif isinstance(new, (set, frozenset)) or hasattr(new, 'add'):
            new.add(x)
        elif hasattr(new, 'keys'):
            k, v = x
            new[k] = v
        else:
            raise TypeError(f"conj: cannot add items to a {type(obj).__name__}")
    return new


# ---------------------------------------------------------------------------------------------
# The codec (docs/protocol.md §2, §3): sans-IO, iterative (no recursion limit to meet).

MAX_DEPTH = 1000
"""A value deeper than this in a message is refused (the message itself is at depth 0)."""

_LONG = 0xFFFFFFFF
_U32 = struct.Struct('<I')
_I64 = struct.Struct('<q')
_U64 = struct.Struct('<Q')
_F64 = struct.Struct('<d')
_I64_MIN = -(1 << 63)
_I64_MAX = (1 << 63) - 1
_NO = object()


class _Ref:
    __slots__ = ('n',)

    def __init__(self, n):
        self.n = n

    def __eq__(self, other):
        return type(other) is type(self) and other.n == self.n

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((type(self).__name__, self.n))

    def __repr__(self):
        return '%s(%d)' % (type(self).__name__, self.n)


class Handle(_Ref):
    """`h`: a handle number of the worker's table."""
    __slots__ = ()


class Callback(_Ref):
    """`c`: a Lisp callback id."""
    __slots__ = ()


class StepRef(_Ref):
    """`$`: the result of an earlier step of the same chain."""
    __slots__ = ()


# The prefix of a function moved by its code (see Runtime.pool_op).
_FN_MARK = b'polyglot-function:'


class PendingRef(_Ref):
    """`p`: the kept result of an earlier pipelined request (its request id)."""
    __slots__ = ()


class Array:
    """`a`: a typed array: dtype name, shape (a list of ints), data bytes in C order."""
    __slots__ = ('dtype', 'shape', 'data')

    def __init__(self, dtype, shape, data):
        self.dtype = dtype
        self.shape = list(shape)
        self.data = bytes(data)

    def __eq__(self, other):
        return (type(other) is Array and other.dtype == self.dtype
                and other.shape == self.shape and other.data == self.data)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __repr__(self):
        return 'Array(%r, %r, %r)' % (self.dtype, self.shape, self.data)


class SharedArray:
    """`S`: a typed array in shared memory: dtype, shape, the host's buffer id, the host's file
    descriptor of its memfd (mapped through /proc/<host pid>/fd/<fd>), its byte length and
    whether it is read-only."""
    __slots__ = ('dtype', 'shape', 'id', 'fd', 'nbytes', 'readonly')

    def __init__(self, dtype, shape, ident, fd, nbytes, readonly):
        self.dtype = dtype
        self.shape = list(shape)
        self.id = ident
        self.fd = fd
        self.nbytes = nbytes
        self.readonly = bool(readonly)

    def _key(self):
        return (self.dtype, self.shape, self.id, self.fd, self.nbytes, self.readonly)

    def __eq__(self, other):
        return type(other) is SharedArray and other._key() == self._key()

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __repr__(self):
        return 'SharedArray(%r, %r, %r, %r, %r, %r)' % self._key()


_SHARED_TAIL = struct.Struct('<QIQB')


class Map:
    """`m` with keys a Python dict cannot hold (lists, arrays): the pairs in order."""
    __slots__ = ('pairs',)

    def __init__(self, pairs):
        self.pairs = list(pairs)

    def __eq__(self, other):
        return type(other) is Map and other.pairs == self.pairs

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __repr__(self):
        return 'Map(%r)' % (self.pairs,)


class DecodeError(ValueError):
    """Bytes that are not a message."""


class DecodeTooDeep(DecodeError, RecursionError):
    """A message nested deeper than MAX_DEPTH."""


class BadFrame:
    """What Decoder.feed gives for a frame whose payload is not a message: the error, the
    payload, and the message's kind and id (second item) when they could be read."""
    __slots__ = ('error', 'payload', 'kind', 'id')

    def __init__(self, error, payload):
        self.error = error
        self.payload = bytes(payload)
        self.kind, self.id = _peek_header(self.payload)

    def __repr__(self):
        return 'BadFrame(%r, kind=%r, id=%r)' % (self.error, self.kind, self.id)


def _body_len(n):
    if n > 0xFFFFFFFF:
        raise ValueError('a body of %d bytes is too long for the protocol (4 GiB - 1 at most)' % n)
    return _U32.pack(n)


def _too_deep():
    return RecursionError('cannot send values nested deeper than %d levels' % MAX_DEPTH)


def _plain(v):
    """Subclasses of the codec's types as the plain types."""
    if isinstance(v, int):
        return int.__int__(v)
    if isinstance(v, float):
        return float.__float__(v)
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, list):
        return list(v)
    if isinstance(v, tuple):
        return tuple(v)
    if isinstance(v, dict):
        return dict(v)
    raise TypeError('cannot encode a %s in a protocol message' % type(v).__name__)


def _encode_into(out, v):
    stack = []
    depth = 0
    u32 = _U32.pack
    while True:
        if depth > MAX_DEPTH:
            raise _too_deep()
        t = type(v)
        if t is str:
            b = v.encode('utf-8', 'backslashreplace')
            out += b's'
            out += _body_len(len(b))
            out += b
        elif t is int:
            if _I64_MIN <= v <= _I64_MAX:
                out += b'i'
                out += _I64.pack(v)
            else:
                b = format(v, 'x').encode('ascii')
                out += b'I'
                out += u32(len(b))
                out += b
        elif v is None:
            out += b'N'
        elif t is bool:
            out += b'T' if v else b'F'
        elif t is float:
            out += b'd'
            out += _F64.pack(v)
        elif t is list or t is tuple:
            out += b'l' if t is list else b't'
            out += _body_len(len(v))
            if v:
                stack.append(iter(v))
        elif t is dict:
            out += b'm'
            out += _body_len(len(v))
            if v:
                stack.append(itertools.chain.from_iterable(v.items()))
        elif t is Map:
            out += b'm'
            out += _body_len(len(v.pairs))
            if v.pairs:
                stack.append(itertools.chain.from_iterable(v.pairs))
        elif t is Handle:
            out += b'h'
            out += u32(v.n)
        elif t is Callback:
            out += b'c'
            out += u32(v.n)
        elif t is StepRef:
            out += b'$'
            out += u32(v.n)
        elif t is PendingRef:
            out += b'p'
            out += _I64.pack(v.n)
        elif t is Array or t is SharedArray:
            # The shape is a list value one level down, its ints two.
            if depth + 1 > MAX_DEPTH or (v.shape and depth + 2 > MAX_DEPTH):
                raise _too_deep()
            b = v.dtype.encode('utf-8')
            out += b'a' if t is Array else b'S'
            out += u32(len(b))
            out += b
            out += b'l'
            out += u32(len(v.shape))
            for d in v.shape:
                out += b'i'
                out += _I64.pack(d)
            if t is SharedArray:
                out += _SHARED_TAIL.pack(v.id, v.fd, v.nbytes, 1 if v.readonly else 0)
            else:
                out += _body_len(len(v.data))
                out += v.data
        elif t is bytes or t is bytearray or t is memoryview:
            out += b'b'
            out += _body_len(len(v))
            out += v
        else:
            v = _plain(v)
            continue
        while stack:
            v = next(stack[-1], _NO)
            if v is _NO:
                stack.pop()
                continue
            depth = len(stack)
            break
        else:
            return out


def encode_payload(value):
    """The payload of one message (no length prefix)."""
    return bytes(_encode_into(bytearray(), value))


def _frame(value):
    out = _encode_into(bytearray(4), value)
    n = len(out) - 4
    if n < _LONG:
        _U32.pack_into(out, 0, n)
        return out
    return bytearray(_U32.pack(_LONG) + _U64.pack(n)) + memoryview(out)[4:]


_RESULT_HEAD = b'l\x04\x00\x00\x00s\x06\x00\x00\x00resulti'
_FLAGS_0 = b'i' + _I64.pack(0)
_FLAGS_1 = b'i' + _I64.pack(1)
_RESULT_LEN = len(_RESULT_HEAD) + 8 + 9 + 9
_PACK_RESULT_D = struct.Struct('<I%dsqcd9s' % len(_RESULT_HEAD)).pack
_PACK_RESULT_I = struct.Struct('<I%dsqcq9s' % len(_RESULT_HEAD)).pack


def _frame_result(reply):
    """_frame(reply) for a reply ['result', rid, value, flags] whose value is a float or an int
    (the bytes are the same); None for any other reply."""
    if len(reply) != 4 or reply[0] != 'result':
        return None
    rid = reply[1]
    value = reply[2]
    flags = reply[3]
    if type(rid) is not int or not _I64_MIN <= rid <= _I64_MAX:
        return None
    if flags == 0 and type(flags) is int:
        tail = _FLAGS_0
    elif flags == 1 and type(flags) is int:
        tail = _FLAGS_1
    else:
        return None
    t = type(value)
    if t is float:
        return _PACK_RESULT_D(_RESULT_LEN, _RESULT_HEAD, rid, b'd', value, tail)
    if t is int and _I64_MIN <= value <= _I64_MAX:
        return _PACK_RESULT_I(_RESULT_LEN, _RESULT_HEAD, rid, b'i', value, tail)
    return None


def encode(value):
    """One message as a whole frame: u32 LE length (or 0xFFFFFFFF and a u64) and payload."""
    return bytes(_frame(value))


def _finish(tag, items):
    if tag == 0x6C:
        return items
    if tag == 0x74:
        return tuple(items)
    d = {}
    try:
        for i in range(0, len(items), 2):
            d[items[i]] = items[i + 1]
    except TypeError:
        # An unhashable key (a list, an array): keep the pairs.
        return Map(zip(items[0::2], items[1::2]))
    return d


def _body_at(p, pos, n):
    """A `u32`-length body at p[pos:]: its bytes (a slice of p) and the position after it."""
    if pos + 4 > n:
        raise DecodeError('a value ends early')
    k = _U32.unpack_from(p, pos)[0]
    pos += 4
    if pos + k > n:
        raise DecodeError('a value ends early')
    return p[pos:pos + k], pos + k


def _text_at(p, pos, n):
    """A str body at p[pos:] (UTF-8) and the position after it."""
    raw, pos = _body_at(p, pos, n)
    try:
        return raw.decode('utf-8'), pos
    except UnicodeDecodeError:
        raise DecodeError('a string is not UTF-8') from None


def decode_payload(p):
    """The value of one payload (bytes or bytearray); DecodeError if it is not one."""
    n = len(p)
    pos = 0
    stack = []  # [tag, items still to read, items]
    depth = 0  # len(stack)
    u32 = _U32.unpack_from
    try:
        while True:
            if pos >= n:
                raise DecodeError('a value ends early')
            tag = p[pos]
            pos += 1
            # The most common tags first.
            if tag == 0x6C or tag == 0x74 or tag == 0x6D:  # l t m
                if pos + 4 > n:
                    raise DecodeError('a value ends early')
                k = u32(p, pos)[0]
                pos += 4
                # Every item takes at least one byte: a count past what is left is a lie.
                if k > n - pos:
                    raise DecodeError('a value ends early')
                if k == 0:
                    v = [] if tag == 0x6C else () if tag == 0x74 else {}
                else:
                    stack.append([tag, 2 * k if tag == 0x6D else k, []])
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise DecodeTooDeep('values nested deeper than %d' % MAX_DEPTH)
                    continue
            elif tag == 0x73:  # s
                v, pos = _text_at(p, pos, n)
            elif tag == 0x69:  # i
                if pos + 8 > n:
                    raise DecodeError('a value ends early')
                v = _I64.unpack_from(p, pos)[0]
                pos += 8
            elif tag == 0x64:  # d
                if pos + 8 > n:
                    raise DecodeError('a value ends early')
                v = _F64.unpack_from(p, pos)[0]
                pos += 8
            elif tag == 0x68 or tag == 0x63 or tag == 0x24:  # h c $
                if pos + 4 > n:
                    raise DecodeError('a value ends early')
                k = u32(p, pos)[0]
                pos += 4
                v = Handle(k) if tag == 0x68 else Callback(k) if tag == 0x63 else StepRef(k)
            elif tag == 0x70:  # p
                if pos + 8 > n:
                    raise DecodeError('a value ends early')
                v = PendingRef(_I64.unpack_from(p, pos)[0])
                pos += 8
            elif tag == 0x4E:  # N
                v = None
            elif tag == 0x54:  # T
                v = True
            elif tag == 0x46:  # F
                v = False
            elif tag == 0x62:  # b
                raw, pos = _body_at(p, pos, n)
                v = bytes(raw)
            elif tag == 0x49:  # I
                v, pos = _text_at(p, pos, n)
                digits = v[1:] if v.startswith('-') else v
                if not digits or digits.strip('0123456789abcdefABCDEF'):
                    raise DecodeError('a big integer is not hexadecimal digits: %r' % v)
                v = int(v, 16)
            elif tag == 0x61 or tag == 0x53:  # a S
                dtype, pos = _text_at(p, pos, n)
                if depth + 1 > MAX_DEPTH:
                    raise DecodeTooDeep('values nested deeper than %d' % MAX_DEPTH)
                if pos + 5 > n:
                    raise DecodeError('a value ends early')
                if p[pos] not in (0x6C, 0x74):
                    raise DecodeError('an array shape is not a list of integers')
                k = u32(p, pos + 1)[0]
                pos += 5
                if k and depth + 2 > MAX_DEPTH:
                    raise DecodeTooDeep('values nested deeper than %d' % MAX_DEPTH)
                if k > n - pos:
                    raise DecodeError('a value ends early')
                shape = []
                for _ in range(k):
                    if pos + 9 > n:
                        raise DecodeError('a value ends early')
                    if p[pos] != 0x69:
                        raise DecodeError('an array shape is not a list of integers')
                    d = _I64.unpack_from(p, pos + 1)[0]
                    if d < 0:
                        raise DecodeError('an array shape has a negative size')
                    shape.append(d)
                    pos += 9
                if tag == 0x53:
                    if pos + _SHARED_TAIL.size > n:
                        raise DecodeError('a value ends early')
                    ident, fd, nbytes, ro = _SHARED_TAIL.unpack_from(p, pos)
                    pos += _SHARED_TAIL.size
                    v = SharedArray(dtype, shape, ident, fd, nbytes, ro)
                else:
                    data, pos = _body_at(p, pos, n)
                    v = Array(dtype, shape, data)
            else:
                raise DecodeError('unknown value tag 0x%02x' % tag)
            while depth:
                f = stack[-1]
                f[2].append(v)
                f[1] -= 1
                if f[1]:
                    break
                stack.pop()
                depth -= 1
                v = _finish(f[0], f[2])
            else:
                if pos != n:
                    raise DecodeError('bytes after the message')
                return v
    except struct.error as e:
        raise DecodeError('a value ends early (%s)' % e) from None


def _peek_header(p):
    """(kind, id) of a payload that may not decode: its first two items if they are a str and
    an int."""
    kind = ident = None
    try:
        if len(p) < 5 or p[0] != 0x6C or _U32.unpack_from(p, 1)[0] < 1:
            return None, None
        pos = 5
        if p[pos] != 0x73:
            return None, None
        k = _U32.unpack_from(p, pos + 1)[0]
        kind = bytes(p[pos + 5:pos + 5 + k]).decode('utf-8')
        pos += 5 + k
        if _U32.unpack_from(p, 1)[0] >= 2 and pos + 9 <= len(p) and p[pos] == 0x69:
            ident = _I64.unpack_from(p, pos + 1)[0]
    except Exception:
        pass
    return kind, ident


# The common request, decoded without the general loop: a run of one call step with scalar
# arguments and no keywords, `["run", rid, "auto"|"deep", [["call", h|p, [scalars...], []]],
# [ints...](, keep(, acked))]`. Anything else (and anything malformed) is left to
# decode_payload, so the value is always the one decode_payload gives.
_FAST_HEAD = struct.Struct('<14sq9s19sB')
_FAST_HEAD_LEN = _FAST_HEAD.size
_FAST_RUN = {b'l\x05\x00\x00\x00s\x03\x00\x00\x00runi': 5,
             b'l\x06\x00\x00\x00s\x03\x00\x00\x00runi': 6,
             b'l\x07\x00\x00\x00s\x03\x00\x00\x00runi': 7}
_FAST_MODES = {b's\x04\x00\x00\x00auto': 'auto', b's\x04\x00\x00\x00deep': 'deep'}
_FAST_CALL = b'l\x01\x00\x00\x00l\x04\x00\x00\x00s\x04\x00\x00\x00call'
_FAST_H = struct.Struct('<IBI')  # the target's h body, the args' tag and count
_FAST_P = struct.Struct('<qBI')  # the same with a p target
_FAST_D = struct.Struct('<Bd')
_TAG_COUNT = struct.Struct('<BI')
_TAG_I64 = struct.Struct('<Bq')
_U32_AT = _U32.unpack_from
_I64_AT = _I64.unpack_from
# What follows the arguments when there are no keywords and no releases, by the run's length.
_EMPTY_LIST = b'l\x00\x00\x00\x00'
_FAST_TAIL_5 = b'l\x00\x00\x00\x00l\x00\x00\x00\x00'
_FAST_TAIL_T = _FAST_TAIL_5 + b'T'
_FAST_TAIL_F = _FAST_TAIL_5 + b'F'
_new_ref = object.__new__


def _fast_run(buf, pos, end):
    """The value of the payload buf[pos:end] if it is the common request, else None."""
    if end - pos < 70:
        return None
    head, rid, mode, call, tag = _FAST_HEAD.unpack_from(buf, pos)
    items = _FAST_RUN.get(head)
    mode = _FAST_MODES.get(mode)
    if items is None or mode is None or call != _FAST_CALL:
        return None
    pos += 51
    if tag == 0x68:
        target = _new_ref(Handle)
        target.n, tag, k = _FAST_H.unpack_from(buf, pos)
        pos += 9
    elif tag == 0x70:
        target = _new_ref(PendingRef)
        target.n, tag, k = _FAST_P.unpack_from(buf, pos)
        pos += 13
    else:
        return None
    if tag != 0x6C:
        return None
    if k == 1 and buf[pos] == 0x64 and pos + 9 <= end:
        args = [_FAST_D.unpack_from(buf, pos)[1]]
        pos += 9
    else:
        if k > end - pos:
            return None
        args = []
        for _ in range(k):
            if pos >= end:
                return None
            tag = buf[pos]
            if tag == 0x64 or tag == 0x69:  # d i
                if pos + 9 > end:
                    return None
                args.append((_FAST_D if tag == 0x64 else _TAG_I64).unpack_from(buf, pos)[1])
                pos += 9
            elif tag == 0x73:  # s
                if pos + 5 > end:
                    return None
                n = _U32_AT(buf, pos + 1)[0]
                pos += 5
                if pos + n > end:
                    return None
                try:
                    args.append(buf[pos:pos + n].decode('utf-8'))
                except UnicodeDecodeError:
                    return None
                pos += n
            elif tag == 0x4E:  # N
                args.append(None)
                pos += 1
            elif tag == 0x54:  # T
                args.append(True)
                pos += 1
            elif tag == 0x46:  # F
                args.append(False)
                pos += 1
            else:
                return None
    rest = end - pos
    if items == 6 and rest == 11:
        tail = buf[pos:end]
        if tail == _FAST_TAIL_T:
            return ['run', rid, mode, [['call', target, args, []]], [], True]
        if tail == _FAST_TAIL_F:
            return ['run', rid, mode, [['call', target, args, []]], [], False]
    if items == 7 and rest == 20 and buf[end - 9] == 0x69:
        tail = buf[pos:end - 9]
        if tail == _FAST_TAIL_T:
            return ['run', rid, mode, [['call', target, args, []]], [], True,
                    _I64_AT(buf, end - 8)[0]]
        if tail == _FAST_TAIL_F:
            return ['run', rid, mode, [['call', target, args, []]], [], False,
                    _I64_AT(buf, end - 8)[0]]
    # Releases, or five items.
    if buf[pos:pos + 5] != _EMPTY_LIST or rest < 10:
        return None
    pos += 5
    tag, k = _TAG_COUNT.unpack_from(buf, pos)
    pos += 5
    if tag != 0x6C or k > end - pos:
        return None
    releases = []
    for _ in range(k):
        if pos + 9 > end or buf[pos] != 0x69:
            return None
        releases.append(_I64_AT(buf, pos + 1)[0])
        pos += 9
    msg = ['run', rid, mode, [['call', target, args, []]], releases]
    if items > 5:
        if pos >= end:
            return None
        tag = buf[pos]
        pos += 1
        if tag == 0x54:
            msg.append(True)
        elif tag == 0x46:
            msg.append(False)
        else:
            return None
        if items == 7:
            if pos + 9 > end:
                return None
            tag, acked = _TAG_I64.unpack_from(buf, pos)
            if tag != 0x69:
                return None
            msg.append(acked)
            pos += 9
    if pos != end:
        return None
    return msg


class Decoder:
    """Frames from a byte stream, sans-IO: feed what was read, get the messages completed.

    One read may hold several frames or part of one. A frame whose payload is not a message
    is consumed and given as a BadFrame, so the stream stays in step."""

    def __init__(self):
        self._buf = bytearray()

    def feed(self, data):
        buf = self._buf
        if data:
            buf += data
        out = []
        pos = 0
        n = len(buf)
        while n - pos >= 4:
            length = _U32.unpack_from(buf, pos)[0]
            header = 4
            if length == _LONG:
                if n - pos < 12:
                    break
                length = _U64.unpack_from(buf, pos + 4)[0]
                header = 12
            if n - pos - header < length:
                break
            start = pos + header
            pos = start + length
            v = _fast_run(buf, start, pos)
            if v is not None:
                out.append(v)
                continue
            payload = buf[start:pos]
            try:
                out.append(decode_payload(payload))
            except DecodeError as e:
                out.append(BadFrame(e, payload))
        if pos:
            del buf[:pos]
        return out

    def needed(self):
        """How many more bytes the frame in progress needs (at least 1 when none is)."""
        buf = self._buf
        n = len(buf)
        if n < 4:
            return 4 - n
        length = _U32.unpack_from(buf, 0)[0]
        if length == _LONG:
            if n < 12:
                return 12 - n
            return max(1, 12 + _U64.unpack_from(buf, 4)[0] - n)
        return max(1, 4 + length - n)

    def pending(self):
        """Bytes received that are not a whole frame yet."""
        return len(self._buf)


# ---------------------------------------------------------------------------------------------
# The worker.

MAX_CONVERT_DEPTH = 1000
TOKEN = '_polyglot_lisp_error'

# What the main thread is doing, for SIGINT: user code raises KeyboardInterrupt; a frame being
# written from inside user code holds the interrupt until that code resumes; idle, waiting for
# a callback's return, or writing a reply drops it.
IDLE, USER, HOLD, WAIT = 0, 1, 2, 3

# Replies held back (Runtime.obuf) are written once they pass this many bytes.
_OBUF_MAX = 65536
_NOT_KEPT = ('polyglot worker: the result of request %d is not available (it failed, was '
             'skipped or was forgotten)')

_MODES = ('auto', 'handle', 'deep', 'items')
_DTYPES = {('f', 4): 'float32', ('f', 8): 'float64', ('i', 1): 'int8', ('i', 2): 'int16',
           ('i', 4): 'int32', ('i', 8): 'int64', ('u', 1): 'uint8', ('u', 2): 'uint16',
           ('u', 4): 'uint32', ('u', 8): 'uint64'}
_STRUCT_FORMATS = {'float32': 'f', 'float64': 'd', 'int8': 'b', 'int16': 'h', 'int32': 'i',
                   'int64': 'q', 'uint8': 'B', 'uint16': 'H', 'uint32': 'I', 'uint64': 'Q'}
_BINARY = {'add': operator.add, 'sub': operator.sub, 'mul': operator.mul,
           'truediv': operator.truediv, 'floordiv': operator.floordiv, 'mod': operator.mod,
           'pow': operator.pow, 'matmul': operator.matmul, 'and': operator.and_,
           'or': operator.or_, 'xor': operator.xor, 'lshift': operator.lshift,
           'rshift': operator.rshift}
_COMPARE = {'eq': operator.eq, 'ne': operator.ne, 'lt': operator.lt, 'le': operator.le,
            'gt': operator.gt, 'ge': operator.ge, 'is': lambda a, b: a is b}
_UNARY = {'neg': operator.neg, 'invert': operator.invert, 'truthy': bool}
_IMPORT_GLOBALS = {'__builtins__': _builtins}

# Python's recursion limit while user code runs is the user's own plus the runtime's frames below
# it that the embedded backend has no counterpart of (the request loop, the step's dispatch, and
# for a request made by a Lisp function Python called, the wait for its return): Python code sees
# the depth it would embedded, however deep Lisp and Python call each other. Outside user code
# the runtime keeps _REC_MARGIN more, so that its own work (a reply, an error) never meets the
# limit the user's code just reached. At most _REC_EXTRA_CAP frames are made up for.
_REC_MARGIN = 200
_REC_EXTRA_CAP = 20000
_getrecursionlimit = sys.getrecursionlimit
_setrecursionlimit = sys.setrecursionlimit

_DEEP_LIMIT_TEXT = ('cannot convert Python data nested deeper than %d levels to Lisp data; '
                    'keep it as a Python object (a handle) instead' % MAX_CONVERT_DEPTH)


class _HostGone(BaseException):
    """fd 3 reached EOF or fd 4 broke: the host is gone."""


class _Exit(BaseException):
    """The host sent `exit`."""


class _BadMessage(Exception):
    """A message the runtime cannot act on."""


class _BadStep(RuntimeError):
    """A step the runtime cannot act on (reported as RuntimeError)."""


_ORIGINAL_IMPORT = _builtins.__import__
_IMPORTLIB_FILES = ('<frozen importlib._bootstrap>', '<frozen importlib._bootstrap_external>')


def _importlib_traceback(tb, e):
    """The traceback the embedded backend shows for an exception that left importlib's
    `_find_and_load` (`tb` starts there), as if that had been called from C, as
    PyImport_Import calls it.

    CPython's C import code (import.c, remove_importlib_frames) trims importlib's frames from
    the traceback it passes on: all of them for an ImportError, else each run of them that ends
    in `_call_with_frames_removed`. Up to 3.11 only the pending traceback is trimmed, not the
    exception's `__traceback__` (the one its last handler saw), and pyo3 puts the trimmed one
    back on the exception only when something is left of it: so a bare ModuleNotFoundError
    shows `_find_and_load` and `_find_and_load_unlocked`, a module that fails as it runs shows
    only its own frames. From 3.12 the exception's own traceback is the one trimmed."""
    always = isinstance(e, ImportError)
    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    # Trimmed as a list first: the chain itself changes only if the trimmed one is used.
    keep = []
    chunk_start = 0
    in_importlib = False
    for t in entries:
        code = t.tb_frame.f_code
        now = code.co_filename in _IMPORTLIB_FILES
        if now and not in_importlib:
            chunk_start = len(keep)
        in_importlib = now
        if now and (always or code.co_name == '_call_with_frames_removed'):
            # This entry and the rest of its run so far go.
            del keep[chunk_start:]
        else:
            keep.append(t)
    if keep or sys.version_info >= (3, 12):
        for a, b in zip(keep, keep[1:] + [None]):
            if a.tb_next is not b:
                a.tb_next = b
        return keep[0] if keep else None
    # Nothing left: the traceback the exception object holds, from the outermost frame that
    # handled it on its way out (importlib's `with` of the module lock).
    for t in entries:
        if _handles_at(t.tb_frame.f_code, t.tb_lasti, t is entries[0] and len(entries) > 1):
            return t
    return None


def _handles_at(code, lasti, fallback):
    """Whether `code` has an exception handler around the instruction at byte offset `lasti`
    (3.11's exception table; `fallback` on versions without one)."""
    table = getattr(code, 'co_exceptiontable', None)
    if table is None:
        return fallback
    try:
        import dis
        entries = dis._parse_exception_table(code)
    except Exception:
        return fallback
    return any(x.start <= lasti < x.end for x in entries)


def _error_display(e):
    # pyo3's Display for PyErr: "Qualname: str".
    try:
        name = type(e).__qualname__
    except BaseException:
        name = 'Exception'
    try:
        return '%s: %s' % (name, safe_text(str(e)))
    except BaseException:
        return '%s: <exception str() failed>' % name


def _short(v, limit=200):
    try:
        r = repr(v)
    except BaseException:
        r = '<unprintable %s>' % type(v).__name__
    return r if len(r) <= limit else r[:limit] + '...'


class LispFunction:
    """A Lisp function as a Python callable (a `c` value)."""
    __slots__ = ('_id', '_rt')

    def __init__(self, ident, rt):
        self._id = ident
        self._rt = rt

    def __call__(self, *args, **kwargs):
        rt = self._rt
        if threading.get_ident() != rt.main_ident:
            return rt.call_from_thread(self._id, args, kwargs)
        # The runtime's headroom first, from this frame (see _REC_MARGIN): at the edge of the
        # limit, calling a Lisp function fails here, as it would embedded, not half-way.
        limit = _getrecursionlimit()
        _setrecursionlimit(limit + _REC_MARGIN)
        return rt.call_lisp(self._id, args, kwargs, limit)

    def __repr__(self):
        return '<Lisp function #%d>' % self._id

    def __del__(self):
        # No I/O here: the host hears of it with the next reply.
        try:
            self._rt.freed.append(self._id)
        except Exception:
            pass


LispFunction.__module__ = 'polyglot'


class SessionOutput:
    """sys.stdout / sys.stderr while the host captures output: writes become `output`
    messages (buffered until a newline, the other stream's write, or the next reply)."""
    __slots__ = ('_rt', '_stream')

    def __init__(self, rt, stream):
        self._rt = rt
        self._stream = stream

    def _fallback(self):
        return sys.__stdout__ if self._stream == 1 else sys.__stderr__

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError('write() argument must be str, not %s' % type(text).__name__)
        rt = self._rt
        if rt.capturing and not rt.dead:
            rt.out_write(self._stream, text)
        else:
            f = self._fallback()
            if f is not None:
                f.write(text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        rt = self._rt
        if rt.capturing and not rt.dead:
            rt.out_flush()
        else:
            f = self._fallback()
            if f is not None:
                f.flush()

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return False

    @property
    def encoding(self):
        return 'utf-8'

    @property
    def errors(self):
        return 'strict'


SessionOutput.__module__ = 'polyglot'


class _Job:
    """A call of a Lisp function from another thread, run by the main thread."""
    __slots__ = ('id', 'args', 'kwargs', 'event', 'answer', 'error')

    def __init__(self, ident, args, kwargs):
        self.id = ident
        self.args = args
        self.kwargs = kwargs
        self.event = threading.Event()
        self.answer = None
        self.error = None


class Runtime:
    def __init__(self, rfd, wfd, namespace):
        self.rfd = rfd
        self.wfd = wfd
        self.namespace = namespace
        self.decoder = Decoder()
        self.inbox = collections.deque()
        # How requests are read (the replay reads from memory instead).
        self.read = os.read
        self.eof = False
        self.dead = False
        self.wlock = threading.Lock()
        # Replies held back while more requests wait in the inbox (written before anything
        # else goes out, before blocking on a read, or when it passes _OBUF_MAX).
        self.obuf = bytearray()
        # Pipelining (docs/protocol.md, Pipelining): the values kept by request id, their ids in
        # the order kept, and whether runs are skipped after a pipelined run failed.
        self.kept = {}
        self.kept_order = collections.deque()
        self.skipping = False
        self.handles = {}
        self.next_handle = 1
        # Host buffers in shared memory: buffer id -> [mmap, its address (with NumPy), dtype].
        self.shm = {}
        self.imports = {}
        self.np_generic = None
        self.main_ident = threading.get_ident()
        self.mode = IDLE
        self.pending_interrupt = False
        self.in_io = False
        self.in_run = 0
        self.seq = 0
        self.waiting = set()
        self.returns = {}
        self.freed = collections.deque()
        self.jobs = collections.deque()
        self.closed = False
        self.capturing = False
        self.writers = None
        self.saved_streams = (None, None)
        self.out_lock = threading.RLock()
        self.out_buf = []
        self.out_stream = 1
        self.out_len = 0
        self.out_late = collections.deque()
        # The stream sys.stdout was when the worker started: another one (but the capture
        # writer) means the user redirected it (the `flags` of result and error, §5).
        self.original_stdout = sys.stdout
        # The recursion limit (see _REC_MARGIN): the user's, the runtime frames to make up
        # for now, and the value last set (any other value found was set by the user's code).
        self.rec_user = sys.getrecursionlimit()
        self.rec_extra = 0
        self.rec_set = None
        self.rec_for_user = False
        # (code object below the top-level request's dispatch, own_frames there): see run_chain.
        self.top_frames = None
        self.handlers = {
            'run': self.on_run,
            'meta': self.on_meta,
            'capture': self.on_capture,
            'release': self.on_release,
            'unmap': self.on_unmap,
            'exit': self.on_exit,
            'return': self.on_stray_return,
            'resume': self.on_resume,
            'forget': self.on_forget,
            'batch': self.on_batch,
        }

    # -- I/O -----------------------------------------------------------------------------------

    def recv(self):
        """The next message (main thread only). Raises _HostGone at EOF."""
        inbox = self.inbox
        while not inbox:
            if self.obuf:
                # Never wait for input with replies held back.
                self.send(b'')
            if self.eof:
                raise _HostGone()
            self.in_io = True
            try:
                data = self.read(self.rfd, min(max(65536, self.decoder.needed()), 1 << 24))
            except OSError:
                data = b''
            finally:
                self.in_io = False
            if not data:
                self.eof = True
                raise _HostGone()
            self.in_io = True
            try:
                inbox.extend(self.decoder.feed(data))
            finally:
                self.in_io = False
        return inbox.popleft()

    def send(self, msg):
        """Writes one message (or an encoded frame) whole, after the replies held back. Any
        thread. (b'' writes only the replies held back.)"""
        data = msg if type(msg) is bytearray or type(msg) is bytes else _frame(msg)
        if self.dead:
            raise _HostGone()
        main = threading.get_ident() == self.main_ident
        if main:
            prev = self.mode
            if prev == USER:
                self.mode = HOLD
            self.in_io = True
        try:
            with self.wlock:
                if self.obuf:
                    data = self.obuf + data
                    self.obuf = bytearray()
                self.write_all(data)
        except OSError:
            self.dead = True
            raise _HostGone() from None
        finally:
            if main:
                self.in_io = False
                self.mode = prev
        if main and prev == USER and self.pending_interrupt:
            self.pending_interrupt = False
            raise KeyboardInterrupt

    def write_all(self, data):
        """Writes bytes to the host (under wlock)."""
        view = memoryview(data)
        total = len(data)
        done = 0
        while done < total:
            done += os.write(self.wfd, view[done:])

    def send_reply(self, msg, hold=False):
        """A reply (result, error, skipped, meta-result, callback): output and freed callbacks
        first. `hold`: the reply to a top-level run may be held back while more requests are
        already in the inbox (written with whatever goes out next)."""
        self.flush_all()
        while self.freed:
            try:
                ident = self.freed.popleft()
            except IndexError:
                break
            self.send(['freed', ident])
        if hold and self.inbox:
            self.hold(msg)
        else:
            self.send(msg)

    def hold(self, msg):
        """Holds a reply back (main thread); written at once if the held bytes pass _OBUF_MAX."""
        data = msg if type(msg) is bytearray or type(msg) is bytes else _frame(msg)
        if self.dead:
            raise _HostGone()
        with self.wlock:
            obuf = self.obuf
            obuf += data
            full = len(obuf) > _OBUF_MAX
        if full:
            self.send(b'')

    def flush_all(self):
        s = sys.stdout
        try:
            if s is not None:
                s.flush()
        except Exception:
            pass
        s = sys.stderr
        try:
            if s is not None:
                s.flush()
        except Exception:
            pass
        if self.out_buf or self.out_late:
            self.out_flush()

    # -- output capture ------------------------------------------------------------------------

    def out_write(self, stream, text):
        if threading.get_ident() == self.main_ident and self.in_io:
            # Written from a __del__ or a signal handler in the middle of a frame.
            self.out_late.append((stream, text))
            return
        with self.out_lock:
            if self.out_late:
                self._out_take_late()
            if self.out_buf and self.out_stream != stream:
                self._out_flush_locked()
            self.out_stream = stream
            self.out_buf.append(text)
            self.out_len += len(text)
            if '\n' in text or self.out_len >= 8192:
                self._out_flush_locked()

    def _out_take_late(self):
        while self.out_late:
            stream, text = self.out_late.popleft()
            if self.out_buf and self.out_stream != stream:
                self._out_flush_locked()
            self.out_stream = stream
            self.out_buf.append(text)
            self.out_len += len(text)

    def out_flush(self):
        if threading.get_ident() == self.main_ident and self.in_io:
            return
        with self.out_lock:
            if self.out_late:
                self._out_take_late()
            self._out_flush_locked()

    def _out_flush_locked(self):
        if not self.out_buf:
            return
        text = ''.join(self.out_buf)
        self.out_buf = []
        self.out_len = 0
        stream = self.out_stream
        try:
            self.send(['output', stream, text])
        except _HostGone:
            f = sys.__stdout__ if stream == 1 else sys.__stderr__
            try:
                if f is not None:
                    f.write(text)
            except Exception:
                pass

    def set_capture(self, on):
        if on:
            if self.writers is None:
                self.writers = (SessionOutput(self, 1), SessionOutput(self, 2))
            out, err = self.writers
            saved_out, saved_err = self.saved_streams
            if sys.stdout is not out:
                saved_out = sys.stdout
                sys.stdout = out
            if sys.stderr is not err:
                saved_err = sys.stderr
                sys.stderr = err
            self.saved_streams = (saved_out, saved_err)
            self.capturing = True
        else:
            if self.capturing:
                self.out_flush()
            self.capturing = False
            if self.writers is not None:
                out, err = self.writers
                saved_out, saved_err = self.saved_streams
                if sys.stdout is out:
                    sys.stdout = saved_out if saved_out is not None else sys.__stdout__
                if sys.stderr is err:
                    sys.stderr = saved_err if saved_err is not None else sys.__stderr__

    # -- logging -------------------------------------------------------------------------------

    def log(self, text):
        try:
            os.write(2, ('polyglot worker: ' + text.rstrip('\n') + '\n')
                     .encode('utf-8', 'backslashreplace'))
        except OSError:
            pass

    def log_exc(self, what, e):
        import linecache
        source = globals().get('_SOURCE')
        registered = False
        if source is not None and '<polyglot>' not in linecache.cache:
            linecache.cache['<polyglot>'] = (len(source), None, source.splitlines(True),
                                             '<polyglot>')
            registered = True
        try:
            tb = ''.join(traceback.format_exception(type(e), e, e.__traceback__))
        except BaseException:
            tb = _error_display(e)
        finally:
            if registered:
                linecache.cache.pop('<polyglot>', None)
        self.log(what + '\n' + tb)

    # -- handles -------------------------------------------------------------------------------

    def new_handle(self, obj):
        n = self.next_handle
        self.next_handle = n + 1
        self.handles[n] = obj
        return n

    def handle_obj(self, n):
        obj = self.handles.get(n, _NO)
        if obj is _NO:
            raise RuntimeError('stale Python handle h%d (it was released)' % n)
        return obj

    @staticmethod
    def handle_number(h):
        if type(h) is Handle:
            return h.n
        if type(h) is int:
            return h
        raise _BadMessage('a handle is an h value or a handle number, not %s' % _short(h))

    def release(self, handles):
        if type(handles) not in (list, tuple):
            raise _BadMessage('releases are a list of handle numbers, not %s' % _short(handles))
        table = self.handles
        for h in handles:
            obj = table.pop(self.handle_number(h), None)
            del obj

    # -- conversions ---------------------------------------------------------------------------

    def to_py(self, v, done):
        """A wire value as a Python object; `done` the chain's step results so far."""
        t = type(v)
        if t is list or t is tuple or t is dict or t is Map:
            return self._to_py_nested(v, done)
        if v is None or t is bool or t is int or t is float or t is str or t is bytes:
            return v
        if t is Handle:
            return self.handle_obj(v.n)
        if t is StepRef:
            if 0 <= v.n < len(done):
                return done[v.n]
            raise ValueError('internal: bad step reference')
        if t is PendingRef:
            obj = self.kept.get(v.n, _NO)
            if obj is _NO:
                raise RuntimeError(_NOT_KEPT % v.n)
            return obj
        if t is Callback:
            return LispFunction(v.n, self)
        if t is Array:
            return self.array_to_py(v)
        if t is SharedArray:
            return self.shared_to_py(v)
        raise _BadStep('a value the worker cannot convert: %s' % _short(v))

    def _to_py_nested(self, root, done):
        stack = []
        leaf = self.to_py
        v = root
        while True:
            # Enter container v.
            if len(stack) >= MAX_CONVERT_DEPTH:
                raise RecursionError('cannot convert Lisp data nested deeper than %d levels '
                                     'to Python' % MAX_CONVERT_DEPTH)
            t = type(v)
            if t is list:
                stack.append([0, iter(v), [], _NO])
            elif t is tuple:
                stack.append([1, iter(v), [], _NO])
            elif t is dict:
                stack.append([2, itertools.chain.from_iterable(v.items()), {}, _NO])
            else:
                stack.append([2, itertools.chain.from_iterable(v.pairs), {}, _NO])
            while True:
                f = stack[-1]
                x = next(f[1], _NO)
                if x is _NO:
                    stack.pop()
                    val = tuple(f[2]) if f[0] == 1 else f[2]
                    if not stack:
                        return val
                    f = stack[-1]
                else:
                    tx = type(x)
                    if tx is list or tx is tuple or tx is dict or tx is Map:
                        v = x
                        break
                    val = leaf(x, done)
                if f[0] == 2:
                    if f[3] is _NO:
                        f[3] = (val,)
                    else:
                        f[2][f[3][0]] = val
                        f[3] = _NO
                else:
                    f[2].append(val)

    def array_to_py(self, a):
        try:
            import numpy
        except Exception:
            numpy = None
        if numpy is not None:
            arr = numpy.frombuffer(bytearray(a.data), dtype=a.dtype)
            if list(arr.shape) != a.shape:
                arr = arr.reshape(a.shape)
            return arr
        fmt = _STRUCT_FORMATS.get(a.dtype)
        if fmt is None:
            raise ValueError('unknown typed-array dtype %r' % (a.dtype,))
        return memoryview(bytearray(a.data)).cast(fmt, a.shape)

    def shared_to_py(self, a):
        """An ndarray (a memoryview without NumPy) over the host's shared memory: mapped once
        per buffer, through the host's own file descriptor."""
        entry = self.shm.get(a.id)
        if entry is None:
            import mmap
            size = max(a.nbytes, 1)
            path = '/proc/%d/fd/%d' % (_host_pid(), a.fd)
            fd = os.open(path, os.O_RDWR)
            try:
                mm = mmap.mmap(fd, size)
            finally:
                os.close(fd)
            try:
                # Huge pages where the system allows them (see shm.rs); a hint only.
                mm.madvise(mmap.MADV_HUGEPAGE)
            except (AttributeError, OSError, ValueError):
                pass
            entry = [mm, None, a.dtype]
            self.shm[a.id] = entry
        mm = entry[0]
        try:
            import numpy
        except Exception:
            numpy = None
        count = 1
        for d in a.shape:
            count *= d
        if numpy is not None:
            if entry[1] is None:
                entry[1] = numpy.frombuffer(mm, numpy.uint8).__array_interface__['data'][0]
            arr = numpy.frombuffer(mm, dtype=a.dtype, count=count)
            if list(arr.shape) != a.shape:
                arr = arr.reshape(a.shape)
            if a.readonly:
                arr.flags.writeable = False
            return arr
        fmt = _STRUCT_FORMATS.get(a.dtype)
        if fmt is None:
            raise ValueError('unknown typed-array dtype %r' % (a.dtype,))
        view = memoryview(mm)[:a.nbytes]
        if a.readonly:
            view = view.toreadonly()
        return view.cast(fmt, a.shape)

    def shared_of(self, obj, name):
        """The host buffer an ndarray is exactly (the same memory, C order, whole), if any."""
        if not self.shm:
            return None
        try:
            addr = obj.__array_interface__['data'][0]
            if not obj.flags.c_contiguous:
                return None
        except Exception:
            return None
        for ident, (mm, base, dtype) in self.shm.items():
            if base == addr and dtype == name and obj.nbytes == len(mm):
                return SharedArray(name, list(obj.shape), ident, 0, obj.nbytes,
                                   not obj.flags.writeable)
        return None

    def on_unmap(self, msg):
        if len(msg) != 2 or type(msg[1]) is not list:
            raise _BadMessage('expected ["unmap", ids], got %s' % _short(msg))
        for ident in msg[1]:
            # The mapping itself stays while ndarrays over it live.
            self.shm.pop(ident, None)

    def _numpy_generic(self):
        g = self.np_generic
        if g is None:
            np = sys.modules.get('numpy')
            if np is None:
                return None
            g = getattr(np, 'generic', None)
            self.np_generic = g
        return g

    def scalar(self, obj):
        """The wire value of a scalar (None, bool, int, float, str, NumPy scalar), else _NO."""
        if obj is None:
            return None
        t = type(obj)
        if t is bool or t is int or t is float or t is str:
            return obj
        if isinstance(obj, int):
            return int.__int__(obj)
        if isinstance(obj, str):
            return str.__str__(obj)
        if isinstance(obj, float):
            return float.__float__(obj)
        g = self._numpy_generic()
        if g is not None and isinstance(obj, g):
            item = obj.item()
            # Complex and other non-scalar items stay handles.
            if item is not obj:
                v = self.scalar(item)
                if v is not _NO:
                    return v
        return _NO

    def to_wire(self, obj, deep):
        v = self.scalar(obj)
        if v is not _NO:
            return v
        if deep:
            if isinstance(obj, (list, tuple, dict)):
                return self._deep(obj)
            a = self.ndarray_to_wire(obj)
            if a is not None:
                return a
        return Handle(self.new_handle(obj))

    def _deep(self, root):
        # Lists and tuples become lists, dicts Maps (their keys converted too); cycles are a
        # ValueError and nesting past the limit a RecursionError, as embedded.
        stack = []
        path = []
        on_path = set()
        scalar = self.scalar
        v = root
        while True:
            if isinstance(v, list):
                kind, it, pairs = 'list', list.__iter__(v), False
            elif isinstance(v, tuple):
                kind, it, pairs = 'tuple', tuple.__iter__(v), False
            else:
                kind, it, pairs = 'dict', itertools.chain.from_iterable(dict.items(v)), True
            ident = id(v)
            if ident in on_path:
                raise ValueError('cannot convert a cyclic %s to Lisp data: it contains itself '
                                 '(at depth %d); keep it as a Python object (a handle) instead'
                                 % (kind, len(path)))
            if len(path) >= MAX_CONVERT_DEPTH:
                raise RecursionError(_DEEP_LIMIT_TEXT)
            path.append(ident)
            on_path.add(ident)
            stack.append((it, [], pairs))
            while True:
                f = stack[-1]
                x = next(f[0], _NO)
                if x is _NO:
                    stack.pop()
                    on_path.discard(path.pop())
                    out = f[1]
                    val = Map(zip(out[0::2], out[1::2])) if f[2] else out
                    if not stack:
                        return val
                    stack[-1][1].append(val)
                    continue
                s = scalar(x)
                if s is not _NO:
                    f[1].append(s)
                    continue
                if isinstance(x, (list, tuple, dict)):
                    v = x
                    break
                a = self.ndarray_to_wire(x)
                f[1].append(a if a is not None else Handle(self.new_handle(x)))

    def ndarray_to_wire(self, obj):
        np = sys.modules.get('numpy')
        if np is None:
            return None
        nd = getattr(np, 'ndarray', None)
        if nd is None or not isinstance(obj, nd):
            return None
        dt = obj.dtype
        if dt.kind == 'b':
            # bool: copied as uint8 (0 and 1).
            return self.ndarray_to_wire(obj.astype('uint8'))
        name = _DTYPES.get((dt.kind, dt.itemsize))
        if name is None:
            # complex, object, strings, datetimes...: stay handles.
            return None
        shared = self.shared_of(obj, name)
        if shared is not None:
            return shared
        data = np.ascontiguousarray(obj, name).tobytes()
        return Array(name, list(obj.shape), data)

    # -- requests ------------------------------------------------------------------------------

    def dispatch(self, msg):
        try:
            if type(msg) is BadFrame:
                return self.on_bad_frame(msg)
            if type(msg) is not list or not msg or type(msg[0]) is not str:
                raise _BadMessage('a message is a list whose first item is its kind, not %s'
                                  % _short(msg))
            handler = self.handlers.get(msg[0])
            if handler is None:
                raise _BadMessage('unknown message kind %r' % msg[0])
            handler(msg)
        except (_HostGone, _Exit):
            raise
        except BaseException as e:
            self.internal_error(msg, e)

    def internal_error(self, msg, e):
        kind = msg[0] if type(msg) is list and msg and type(msg[0]) is str else None
        rid = msg[1] if kind is not None and len(msg) > 1 and type(msg[1]) is int else None
        if isinstance(e, _BadMessage):
            text = 'bad %s message: %s' % (kind or 'a', e)
        else:
            text = 'internal error handling a %s message: %s' % (kind, _error_display(e))
        self.log_exc(text, e)
        if kind == 'run' and rid is not None and len(msg) > 5 and msg[5] is True:
            # A pipelined run that fails: the runs after it are skipped, as after any failure.
            self.skipping = True
        if rid is not None and kind in ('run', 'meta'):
            self.send_reply(['error', rid, 0, 'RuntimeError', 'polyglot worker: ' + text,
                             None, False, None, self.reply_flags()])

    def on_bad_frame(self, bad):
        self.log('could not decode a message (%s): %s' % (bad.error, _short(bad.payload)))
        if bad.kind in ('run', 'meta') and type(bad.id) is int:
            tn = 'RecursionError' if isinstance(bad.error, RecursionError) else 'RuntimeError'
            self.send_reply(['error', bad.id, 0, tn,
                             'polyglot worker: could not decode the request: %s' % bad.error,
                             None, False, None, self.reply_flags()])

    def on_run(self, msg):
        n = len(msg)
        if n == 6:
            _, rid, mode, steps, releases, keep = msg
            acked = None
        elif n == 5:
            _, rid, mode, steps, releases = msg
            keep = False
            acked = None
        elif n == 7:
            _, rid, mode, steps, releases, keep, acked = msg
        elif n == 8:
            # Made inside a callback (its seq, msg[7]): see wait_return.
            _, rid, mode, steps, releases, keep, acked, _within = msg
        else:
            raise _BadMessage('a run message has 5 to 8 items, not %d' % n)
        if (type(rid) is not int or mode not in _MODES or type(steps) is not list
                or type(keep) is not bool or not (acked is None or type(acked) is int)):
            raise _BadMessage('expected ["run", rid, mode, steps, releases, keep, acked], '
                              'got %s' % _short(msg))
        if releases or type(releases) is not list:
            self.release(releases)
        if acked is not None and self.kept_order:
            self.drop_acked(acked)
        if self.skipping:
            self.send_reply(['skipped', rid], self.in_run == 0)
            return
        self.in_run += 1
        try:
            if self.jobs:
                self.run_jobs()
            reply = self.run_chain(rid, mode, steps, keep)
            if self.jobs:
                self.run_jobs()
        finally:
            self.in_run -= 1
        flags = self.reply_flags()
        reply.append(flags)
        failed = reply[0] == 'error'
        try:
            data = _frame_result(reply) or _frame(reply)
        except RecursionError:
            err = RecursionError(_DEEP_LIMIT_TEXT)
            data = _frame(['error', rid, max(0, len(steps) - 1), 'RecursionError',
                           _DEEP_LIMIT_TEXT, Handle(self.new_handle(err)), False, None, flags])
            failed = True
            if keep:
                self.kept.pop(rid, None)
        if failed and keep:
            # Nothing after a failing pipelined run runs until the host says `resume`.
            self.skipping = True
        self.send_reply(data, self.in_run == 0)

    def drop_acked(self, acked):
        """Lets go of the values kept for requests up to `acked` (the host has their answers
        and names them no more)."""
        order = self.kept_order
        kept = self.kept
        while order and order[0] <= acked:
            kept.pop(order.popleft(), None)

    def on_resume(self, msg):
        if len(msg) != 1:
            raise _BadMessage('expected ["resume"], got %s' % _short(msg))
        self.skipping = False

    def on_forget(self, msg):
        if len(msg) != 2 or type(msg[1]) is not list:
            raise _BadMessage('expected ["forget", rids], got %s' % _short(msg))
        kept = self.kept
        for rid in msg[1]:
            if type(rid) is not int:
                raise _BadMessage('forget takes request ids, not %s' % _short(rid))
            kept.pop(rid, None)

    def on_batch(self, msg):
        if len(msg) != 2 or type(msg[1]) not in (list, bytes):
            raise _BadMessage('expected ["batch", messages], got %s' % _short(msg))
        items = msg[1]
        if type(items) is bytes:
            # Whole frames, as on the wire (decoded by the same fast path).
            d = Decoder()
            items = d.feed(items)
            if d.pending():
                raise _BadMessage('a batch ends inside a frame')
        # Handled in order, before what was read after the batch, each as if sent alone.
        self.inbox.extendleft(reversed(items))

    def reply_flags(self):
        """The `flags` item of result and error (§5): bit 0, sys.stdout redirected (neither
        the worker's original stream nor the capture writer)."""
        out = getattr(sys, 'stdout', None)
        if out is self.original_stdout or (self.writers is not None
                                           and out is self.writers[0]):
            return 0
        return 1

    def own_frames(self, frame):
        """How many frames, from `frame` down, are the runtime's own without a counterpart in
        the embedded backend (see _REC_MARGIN): the contiguous run of them that `frame` starts.
        It ends at user code, at a helper the embedded backend runs too, or at a step's
        frames (those of an enclosing chain, already counted)."""
        codes = _WORKER_CODES
        script = _SCRIPT_GLOBALS
        n = 0
        while frame is not None and (id(frame.f_code) in codes or frame.f_globals is script):
            n += 1
            frame = frame.f_back
        return n

    def rec_limit(self, user, seen=None):
        """Sets the recursion limit for what runs next: user code (`user`) or the runtime.
        `seen`: the limit as user code left it, when it has been raised since."""
        cur = _getrecursionlimit()
        if seen is None:
            seen = cur
        if seen != self.rec_set and self.rec_set is not None:
            # Set by the user's code: their limit from now on.
            self.rec_user = seen
        extra = self.rec_extra
        target = self.rec_user + (extra if extra < _REC_EXTRA_CAP else _REC_EXTRA_CAP)
        if not user:
            target += _REC_MARGIN
        if target != cur:
            try:
                _setrecursionlimit(target)
            except RecursionError:
                # Lower than the depth right here (at the edge of the limit): as low as it can
                # be (this frame and the call are the runtime's).
                for t in range(target + 1, min(cur, target + 8)):
                    try:
                        _setrecursionlimit(t)
                        break
                    except RecursionError:
                        continue
            cur = _getrecursionlimit()
        self.rec_set = cur
        self.rec_for_user = user

    def run_chain(self, rid, mode, steps, keep=False):
        done = []
        i = 0
        prev = self.mode
        saved_extra = self.rec_extra
        # The common request, one call with plain arguments and no keywords, is made by
        # _call_plain (one frame) instead of step and s_call (two); the same checks apply.
        call = None
        if len(steps) == 1:
            s = steps[0]
            if (type(s) is list and len(s) == 4 and s[0] == 'call' and type(s[2]) is list
                    and type(s[3]) is list and not s[3]):
                call = s
                for a in s[2]:
                    if type(a) not in _PLAIN_TYPES:
                        call = None
                        break
        try:
            try:
                self.pending_interrupt = False
                frame = sys._getframe()
                if self.in_run == 1:
                    # A top-level request: always the same frames below (serve's).
                    key = frame.f_back.f_back.f_back
                    key = key.f_code if key is not None else None
                    if self.top_frames is None or self.top_frames[0] is not key:
                        self.top_frames = (key, self.own_frames(frame))
                    own = self.top_frames[1]
                else:
                    own = self.own_frames(frame)
                frame = None
                # This frame and those below it, and those of the step: step and s_..., or
                # _call_plain.
                self.rec_extra = saved_extra + own + (2 if call is None else 1)
                self.rec_limit(True)
                self.mode = USER
                if call is not None:
                    f = call[1]
                    if type(f) is Handle:
                        f = self.handles.get(f.n, _NO)
                        if f is _NO:
                            f = self.handle_obj(call[1].n)
                    else:
                        f = self.to_py(f, done)
                    result = _call_plain(f, call[2])
                    f = None
                else:
                    for i, step in enumerate(steps):
                        done.append(self.step(step, done))
                    if not steps:
                        if keep:
                            self.keep_value(rid, None)
                        return ['result', rid, None]
                    i = len(steps) - 1
                    result = done.pop()
                done = None
                t = type(result)
                if mode == 'auto' and (t is float or t is int or t is str or t is bool
                                       or result is None):
                    value = result
                elif mode == 'handle':
                    value = Handle(self.new_handle(result))
                elif mode == 'items':
                    value = [self.to_wire(x, False) for x in result]
                else:
                    deep = mode == 'deep' or steps[-1][0] == 'tolisp'
                    value = self.to_wire(result, deep)
                if keep:
                    self.kept[rid] = result
                    self.kept_order.append(rid)
                result = None
            finally:
                self.mode = prev
                self.rec_extra = saved_extra
                self.rec_limit(False)
            return ['result', rid, value]
        except (_HostGone, _Exit):
            raise
        except BaseException as e:
            done = result = None
            if keep:
                self.kept.pop(rid, None)
            return self.failure(rid, e, i)

    def keep_value(self, rid, obj):
        """Keeps a pipelined run's value for the requests that name it (`p`)."""
        self.kept[rid] = obj
        self.kept_order.append(rid)

    def failure(self, rid, e, step):
        if isinstance(e, _BadStep):
            self.log_exc('bad step %d: %s' % (step, e), e)
            e = RuntimeError('polyglot worker: bad step: %s' % e)
        # The runtime's own frames at the top of the traceback are not the user's.
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename in _OWN_FILES:
            tb = tb.tb_next
        try:
            e.__traceback__ = tb
        except Exception:
            pass
        del tb
        interrupt = isinstance(e, KeyboardInterrupt)
        try:
            name = type(e).__name__
        except BaseException:
            name = 'Exception'
        message = exception_text(e)
        token = None
        try:
            t = getattr(e, TOKEN, None)
            if isinstance(t, int) and 0 <= t < (1 << 64):
                token = int(t)
        except BaseException:
            pass
        return ['error', rid, step, name, message, Handle(self.new_handle(e)), interrupt, token]

    # -- steps ---------------------------------------------------------------------------------

    def step(self, s, done):
        if type(s) is not list or not s or type(s[0]) is not str:
            raise _BadStep('a step is a list [op, operands...], not %s' % _short(s))
        entry = _STEPS.get(s[0])
        if entry is None:
            raise _BadStep('unknown step %r' % s[0])
        fn, arity = entry
        if len(s) != arity + 1:
            raise _BadStep('step %r takes %d operands, not %d' % (s[0], arity, len(s) - 1))
        return fn(self, s, done)

    @staticmethod
    def _str(v, what):
        if type(v) is not str:
            raise _BadStep('%s must be a str, not %s' % (what, _short(v)))
        return v

    @staticmethod
    def _list(v, what):
        if type(v) is not list and type(v) is not tuple:
            raise _BadStep('%s must be a list, not %s' % (what, _short(v)))
        return v

    def _pairs(self, v, what):
        for p in self._list(v, what):
            if type(p) not in (list, tuple) or len(p) != 2:
                raise _BadStep('%s must be [key, value] pairs, not %s' % (what, _short(p)))
        return v

    def s_import(self, s, done):
        name = self._str(s[1], 'a module name')
        m = self.imports.get(name, _NO)
        if m is not _NO:
            return m
        # As PyImport_Import (the embedded backend's `py.import`): builtins.__import__(name,
        # globals, globals, [], 0) for its effect, then the module from sys.modules. A module
        # not loaded yet is loaded by importlib's _find_and_load called from here, as __import__
        # would from C, so that a failure keeps the traceback the embedded backend shows (see
        # _importlib_traceback); user code (the module's) runs as deep as it does there.
        imp = _builtins.__import__
        if (imp is _ORIGINAL_IMPORT and name and sys.modules.get(name) is None
                and '_frozen_importlib' in sys.modules):
            bootstrap = sys.modules['_frozen_importlib']
            sys.audit('import', name, None, getattr(sys, 'path', None),
                      getattr(sys, 'meta_path', None), getattr(sys, 'path_hooks', None))
            # One level of the limit for the C call of __import__ that this is not (the module
            # runs as deep as it does embedded).
            limit = None
            try:
                try:
                    cur = _getrecursionlimit()
                    _setrecursionlimit(cur - 1)
                    limit = cur
                except RecursionError:
                    pass
                bootstrap._find_and_load(name, _ORIGINAL_IMPORT)
            except BaseException as e:
                tb = e.__traceback__
                if tb is not None and tb.tb_frame is sys._getframe():
                    # This frame's entry, then importlib's.
                    try:
                        tb.tb_next = _importlib_traceback(tb.tb_next, e)
                    except Exception:
                        pass
                del tb, e
                raise
            finally:
                # (Unless the module's code set a limit of its own.)
                if limit is not None and _getrecursionlimit() == limit - 1:
                    _setrecursionlimit(limit)
        # (For a dotted name, this also imports its top-level package as __import__ does.)
        imp(name, _IMPORT_GLOBALS, _IMPORT_GLOBALS, [], 0)
        m = sys.modules.get(name, _NO)
        if m is _NO:
            raise KeyError(name)
        if name == 'asyncio':
            patch_asyncio()
        self.imports[name] = m
        return m

    def s_getattr(self, s, done):
        obj = self.to_py(s[1], done)
        return getattr(obj, self._str(s[2], 'an attribute name'))

    def s_call(self, s, done):
        f = self.to_py(s[1], done)
        args = [self.to_py(a, done) for a in self._list(s[2], 'call arguments')]
        kwargs = self._pairs(s[3], 'keyword arguments')
        if not kwargs:
            return f(*args)
        kw = {}
        for k, v in kwargs:
            kw[self._str(k, 'a keyword')] = self.to_py(v, done)
        return f(*args, **kw)

    def s_getitem(self, s, done):
        obj = self.to_py(s[1], done)
        return obj[self.to_py(s[2], done)]

    def s_setattr(self, s, done):
        obj = self.to_py(s[1], done)
        name = self._str(s[2], 'an attribute name')
        value = self.to_py(s[3], done)
        setattr(obj, name, value)
        return value

    # Called with *args, so that the call is always the counted C call the embedded backend's
    # (PyObject_Call) is: a plain call site, once specialized, would not count towards the
    # recursion limit, and the depth user code gets would change as the worker warms up.
    def s_eval(self, s, done):
        return eval(*(self._str(s[1], 'eval source'), self.namespace))

    def s_exec(self, s, done):
        exec(*(self._str(s[1], 'exec source'), self.namespace))
        return None

    def s_await(self, s, done):
        return run_awaitable(self.to_py(s[1], done))

    def s_iter(self, s, done):
        return iter(self.to_py(s[1], done))

    def s_take(self, s, done):
        it = self.to_py(s[1], done)
        n = s[2]
        if type(n) is not int or n < 0:
            raise _BadStep('take needs a count, not %s' % _short(n))
        return take(it, n)

    def s_value(self, s, done):
        return self.to_py(s[1], done)

    def s_builtin(self, s, done):
        return getattr(_builtins, self._str(s[1], 'a builtin name'))

    def s_mkexc(self, s, done):
        return make_exception(self._str(s[1], 'an exception class name'),
                              self._str(s[2], 'an exception message'))

    def s_isiter(self, s, done):
        return is_iterator(self.to_py(s[1], done))

    def s_lazy(self, s, done):
        op = self._str(s[1], 'a lazy op')
        args = [self.to_py(a, done) for a in self._list(s[2], 'lazy operands')]
        return lisp_lazy(op, args)

    def s_throwable(self, s, done):
        return throwable(self.to_py(s[1], done))

    def s_binary(self, s, done):
        fn = _BINARY.get(s[1])
        if fn is None:
            raise _BadStep('unknown binary operator %s' % _short(s[1]))
        a = self.to_py(s[2], done)
        b = self.to_py(s[3], done)
        return fn(a, b)

    def s_compare(self, s, done):
        fn = _COMPARE.get(s[1])
        if fn is None:
            raise _BadStep('unknown comparison %s' % _short(s[1]))
        objs = [self.to_py(v, done) for v in self._list(s[2], 'compared values')]
        result = True
        pairs = len(objs) - 1
        for i in range(pairs):
            result = fn(objs[i], objs[i + 1])
            # Python asks the truth of a result only when another comparison follows.
            if i + 1 < pairs and not result:
                break
        return result

    def s_unary(self, s, done):
        fn = _UNARY.get(s[1])
        if fn is None:
            raise _BadStep('unknown unary operator %s' % _short(s[1]))
        return fn(self.to_py(s[2], done))

    def s_setitem(self, s, done):
        value = self.to_py(s[3], done)
        target = self.to_py(s[1], done)
        target[self.to_py(s[2], done)] = value
        return value

    def s_delitem(self, s, done):
        target = self.to_py(s[1], done)
        del target[self.to_py(s[2], done)]
        return None

    def s_delattr(self, s, done):
        obj = self.to_py(s[1], done)
        delattr(obj, self._str(s[2], 'an attribute name'))
        return None

    def s_len(self, s, done):
        return len(self.to_py(s[1], done))

    def s_contains(self, s, done):
        container = self.to_py(s[1], done)
        item = self.to_py(s[2], done)
        return item in container

    def s_assoc(self, s, done):
        pairs = [(self.to_py(k, done), self.to_py(v, done))
                 for k, v in self._pairs(s[2], 'assoc pairs')]
        return lisp_assoc(self.to_py(s[1], done), pairs)

    def s_dissoc(self, s, done):
        keys = [self.to_py(k, done) for k in self._list(s[2], 'dissoc keys')]
        return lisp_dissoc(self.to_py(s[1], done), keys)

    def s_conj(self, s, done):
        items = [self.to_py(x, done) for x in self._list(s[2], 'conj items')]
        return lisp_conj(self.to_py(s[1], done), items)

    # -- meta ----------------------------------------------------------------------------------

    def on_meta(self, msg):
        if len(msg) != 5:
            raise _BadMessage('a meta message has 5 items, not %d' % len(msg))
        _, rid, op, h, arg = msg
        if type(rid) is not int:
            raise _BadMessage('the request id must be an int, not %s' % _short(rid))
        if op in ('pickle', 'unpickle', 'exec'):
            self.send_reply(['meta-result', rid, self.pool_op(op, h, arg)])
            return
        if op == 'describe':
            if arg == 'type' or arg == 'str':
                want = arg
            elif type(arg) is int and arg >= 0:
                want = arg
            else:
                raise _BadMessage('describe takes "type", "str" or a length limit, not %s'
                                  % _short(arg))
        elif op not in ('format', 'mro', 'dir'):
            raise _BadMessage('unknown meta op %s' % _short(op))
        obj = self.handles.get(self.handle_number(h), _NO)
        if obj is _NO:
            value = None
        elif op == 'describe':
            value = self.describe(obj, want)
        elif op == 'format':
            try:
                value = format_exc(obj)
            except BaseException:
                value = ''
        elif op == 'mro':
            value = self.mro(obj)
        else:
            value = self.dir(obj)
        obj = None
        self.send_reply(['meta-result', rid, value])

    def pool_op(self, op, h, arg):
        """The pool's moves and broadcasts (docs/protocol.md, Pool): [True, value] or
        [False, "Type: message"]. `pickle` a handle's object or a kept value (pickle protocol 5,
        by reference for functions and classes, so a `py-exec` definition moves by name);
        `unpickle` bytes into a new handle; `exec` source in the user's namespace with its
        output thrown away (it was shown once, by the home worker)."""
        try:
            if op == 'pickle':
                if type(h) is PendingRef:
                    obj = self.kept.get(h.n, _NO)
                    if obj is _NO:
                        return [False, 'the call that made it failed or did not run']
                else:
                    obj = self.handle_obj(self.handle_number(h))
                import pickle
                # Functions, classes and modules pickle by name: a copy stays right as long as
                # the original lives (the host keeps it across pins).
                stable = isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, type,
                                          types.ModuleType))
                try:
                    return [True, self._as_user(pickle.dumps, obj, 5), stable]
                except Exception:
                    if type(obj) is not types.FunctionType:
                        raise
                    # A lambda or a nested function does not pickle by name: its code goes
                    # (every worker runs the same Python), its globals are the user's namespace
                    # there (py-exec made the same definitions), its closure by value.
                    import marshal
                    cells = tuple(c.cell_contents for c in obj.__closure__ or ())
                    return [True, _FN_MARK + pickle.dumps(
                        (marshal.dumps(obj.__code__), obj.__name__, obj.__qualname__,
                         obj.__defaults__, obj.__kwdefaults__, cells), 5), not cells]
            if op == 'unpickle':
                if type(arg) is not bytes:
                    raise _BadMessage('unpickle takes bytes, not %s' % _short(arg))
                import pickle
                if arg.startswith(_FN_MARK):
                    import marshal
                    code, name, qualname, defaults, kwdefaults, cells = pickle.loads(
                        arg[len(_FN_MARK):])
                    f = types.FunctionType(marshal.loads(code), self.namespace, name, defaults,
                                           tuple(types.CellType(c) for c in cells) or None)
                    f.__qualname__ = qualname
                    f.__kwdefaults__ = kwdefaults
                    return [True, Handle(self.new_handle(f))]
                return [True, Handle(self.new_handle(self._as_user(pickle.loads, arg)))]
            if type(arg) is not str:
                raise _BadMessage('exec takes source text, not %s' % _short(arg))
            import io
            saved = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = io.StringIO()
            try:
                self._as_user(exec, arg, self.namespace)
            finally:
                sys.stdout, sys.stderr = saved
            return [True, None]
        except _BadMessage:
            raise
        except BaseException as e:
            return [False, _error_display(e)]

    def _as_user(self, f, *args):
        prev = self.mode
        try:
            self.mode = USER
            return f(*args)
        finally:
            self.mode = prev

    def describe(self, obj, want):
        try:
            tn = type_name(type(obj))
            if not isinstance(tn, str):
                tn = 'object'
        except BaseException:
            tn = 'object'

        def text(f, limit):
            try:
                t = safe_text(self._as_user(f, obj))
            except BaseException as e:
                t = '<error: %s>' % _error_display(e)
            if limit > 0 and len(t) > limit:
                t = t[:limit] + '...'
            return t
        if want == 'type':
            return [tn, '', '']
        if want == 'str':
            return [tn, '', text(str, 0)]
        return [tn, text(repr, want), '']

    def mro(self, obj):
        try:
            classes = list(type(obj).__mro__)
        except BaseException:
            return []
        names = []
        for c in classes:
            try:
                n = c.__name__
            except BaseException:
                continue
            if isinstance(n, str):
                names.append(str.__str__(n))
        return names

    def dir(self, obj):
        try:
            names = self._as_user(lambda: list(dir(obj)))
        except BaseException:
            return []
        return [str.__str__(n) for n in names if isinstance(n, str)]

    # -- the rest of the messages --------------------------------------------------------------

    def on_capture(self, msg):
        if len(msg) != 2 or type(msg[1]) is not bool:
            raise _BadMessage('expected ["capture", on], got %s' % _short(msg))
        # Under a Ray actor the process's own stdout is Ray's log: output always goes over
        # the protocol (the host prints it when it does not capture).
        self.set_capture(msg[1] or _ALWAYS_CAPTURE)

    def on_release(self, msg):
        if len(msg) != 2:
            raise _BadMessage('expected ["release", handles], got %s' % _short(msg))
        self.release(msg[1])

    def on_exit(self, msg):
        raise _Exit()

    def on_stray_return(self, msg):
        self.log('a return that nobody waits for: %s' % _short(msg))

    # -- callbacks -----------------------------------------------------------------------------

    def call_lisp(self, ident, args, kwargs, limit=None):
        """Calls Lisp function `ident` (main thread): `callback`, then serve messages until its
        `return`. `limit`: the recursion limit before the caller raised it (LispFunction)."""
        prev = self.mode
        # The runtime's headroom while it serves the host, and the caller's limit again when
        # the call is done (the user code's, or the runtime's when called from a repr in meta).
        for_user = self.rec_for_user
        try:
            self.rec_limit(False, limit)
            if self.in_run == 0:
                raise RuntimeError(
                    'a Lisp function was called from Python outside of a Lisp evaluation')
            if self.in_io:
                raise RuntimeError('a Lisp function was called while the worker was reading or '
                                   'writing a message (from a __del__ or a signal handler)')
            wargs = [self.to_wire(x, False) for x in args]
            wkwargs = [[str(k), self.to_wire(v, False)] for k, v in kwargs.items()]
            self.seq += 1
            seq = self.seq
            self.waiting.add(seq)
            try:
                self.mode = WAIT
                self.send_reply(['callback', seq, ident, wargs, wkwargs, self.reply_flags()])
                reply = self.wait_return(seq)
            finally:
                self.waiting.discard(seq)
                self.returns.pop(seq, None)
                self.mode = prev
            # The return converted with the headroom still there (embedded, Rust does it).
            return self.returned(reply)
        finally:
            self.rec_limit(for_user)

    def returned(self, reply):
        """The value of a callback's `return`, or its failure raised."""
        if type(reply) is BadFrame:
            if isinstance(reply.error, RecursionError):
                raise RecursionError('cannot convert Lisp data nested deeper than %d levels '
                                     'to Python' % MAX_CONVERT_DEPTH)
            raise RuntimeError('polyglot worker: could not decode the return of a Lisp '
                               'function: %s' % reply.error)
        if len(reply) != 4 or type(reply[2]) is not bool:
            self.log('bad return message: %s' % _short(reply))
            raise RuntimeError('polyglot worker: bad return message from the host')
        if reply[2]:
            return self.to_py(reply[3], ())
        failure = reply[3]
        if type(failure) not in (list, tuple) or len(failure) != 3:
            self.log('bad callback failure: %s' % _short(failure))
            raise RuntimeError('polyglot worker: bad callback failure from the host')
        kind, text, extra = failure
        if kind == 'lisp':
            e = RuntimeError(text)
            setattr(e, TOKEN, extra)
            raise e
        if kind == 'python':
            raise self.handle_obj(self.handle_number(extra))
        if kind == 'interrupt':
            raise KeyboardInterrupt('interrupted')
        self.log('bad callback failure: %s' % _short(failure))
        raise RuntimeError('polyglot worker: bad callback failure kind %s' % _short(kind))

    def wait_return(self, seq):
        # Runs made inside this callback say so (8th item, its seq); other runs were sent
        # before it, pipelined behind the call that called back: they wait until it returns.
        later = []
        try:
            return self._wait_return(seq, later)
        finally:
            if later:
                self.inbox.extendleft(reversed(later))

    def _wait_return(self, seq, later):
        while True:
            msg = self.returns.pop(seq, None)
            if msg is not None:
                return msg
            msg = self.recv()
            t = type(msg)
            if t is list and msg and msg[0] == 'return':
                s = msg[1] if len(msg) > 1 else None
            elif t is list and msg and msg[0] == 'run' and (len(msg) < 8 or msg[7] != seq):
                later.append(msg)
                continue
            else:
                self.dispatch(msg)
                continue
            if s == seq:
                return msg
            if s in self.waiting:
                # For an enclosing call (a callback made while this one's frame was read).
                self.returns[s] = msg
            else:
                self.on_stray_return(msg)

    # -- calls from other threads --------------------------------------------------------------

    def call_from_thread(self, ident, args, kwargs):
        if self.closed:
            raise RuntimeError(
                'a Lisp function was called from another thread after its session ended')
        job = _Job(ident, args, kwargs)
        self.jobs.append(job)
        self.wake_main()
        while not job.event.wait(0.02):
            if self.closed:
                break
            # A signal that reached the main thread just before it blocked is not seen until
            # its wait ends: ask again.
            self.wake_main()
        if not job.event.is_set():
            raise RuntimeError('the Lisp session ended before it could run this Lisp function')
        if job.error is not None:
            e, job.error = job.error, None
            raise e
        return job.answer

    def wake_main(self):
        if self.in_run > 0:
            try:
                signal.pthread_kill(self.main_ident, signal.SIGUSR2)
            except (OSError, AttributeError, ValueError):
                pass

    def run_jobs(self):
        while self.jobs:
            try:
                job = self.jobs.popleft()
            except IndexError:
                break
            try:
                job.answer = self.call_lisp(job.id, job.args, job.kwargs)
            except (_HostGone, _Exit) as e:
                job.error = RuntimeError(
                    'the Lisp session ended before it could run this Lisp function')
                job.event.set()
                raise e
            except BaseException as e:
                job.error = e
            job.event.set()

    def close_jobs(self):
        self.closed = True
        while self.jobs:
            try:
                job = self.jobs.popleft()
            except IndexError:
                break
            job.error = RuntimeError(
                'the Lisp session ended before it could run this Lisp function')
            job.event.set()

    # -- signals -------------------------------------------------------------------------------

    def on_sigint(self, signum, frame):
        mode = self.mode
        if mode == USER:
            raise KeyboardInterrupt
        if mode == HOLD:
            self.pending_interrupt = True

    def on_sigusr2(self, signum, frame):
        if self.jobs and self.in_run > 0 and self.mode == USER and not self.in_io:
            self.run_jobs()

    # -- the loop ------------------------------------------------------------------------------

    def serve(self):
        import atexit
        # Registered first, so it runs after the user's handlers: what they print is sent.
        atexit.register(self.flush_all)
        if hasattr(signal, 'pthread_sigmask'):
            # A launcher's thread may have blocked them (a Ray worker's does): Ctrl-C and the
            # wake-up of other threads' callbacks must reach this process.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGUSR2])
        signal.signal(signal.SIGINT, self.on_sigint)
        if hasattr(signal, 'SIGUSR2'):
            signal.signal(signal.SIGUSR2, self.on_sigusr2)
        if _ALWAYS_CAPTURE:
            self.set_capture(True)
        # The runtime is up (the host then knows a later death is not a wrong interpreter).
        self.send_reply(['hello', 1, '%d.%d.%d' % sys.version_info[:3]])
        try:
            while True:
                try:
                    self.dispatch(self.recv())
                except (_HostGone, _Exit):
                    raise
                except BaseException as e:
                    # Only when something outside the runtime's control raised here (a SIGINT
                    # handler the user installed, memory): log it and serve on.
                    self.log_exc('while waiting for a request: %s' % _error_display(e), e)
        except _Exit:
            pass
        except _HostGone:
            self.dead = True
            self.set_capture(False)
        self.shutdown()
        return 0

    def shutdown(self):
        """Before the interpreter's own exit (atexit handlers, flushing files)."""
        if self.obuf and not self.dead:
            try:
                self.send(b'')
            except _HostGone:
                pass
        self.close_jobs()
        handles = self.handles
        self.handles = {}
        handles.clear()
        del handles
        kept = self.kept
        self.kept = {}
        kept.clear()
        del kept
        self.imports.clear()
        try:
            self.flush_all()
        except _HostGone:
            pass


def _call_plain(f, args):
    """The call of run_chain's common request (the frame step and s_call make otherwise)."""
    return f(*args)


_PLAIN_TYPES = frozenset((int, float, str, bytes, bool, type(None)))

# name → (method, operand count)
_STEPS = {
    'import': (Runtime.s_import, 1),
    'getattr': (Runtime.s_getattr, 2),
    'call': (Runtime.s_call, 3),
    'getitem': (Runtime.s_getitem, 2),
    'setattr': (Runtime.s_setattr, 3),
    'eval': (Runtime.s_eval, 1),
    'exec': (Runtime.s_exec, 1),
    'await': (Runtime.s_await, 1),
    'iter': (Runtime.s_iter, 1),
    'take': (Runtime.s_take, 2),
    'tolisp': (Runtime.s_value, 1),
    'ashandle': (Runtime.s_value, 1),
    'builtin': (Runtime.s_builtin, 1),
    'mkexc': (Runtime.s_mkexc, 2),
    'isiter': (Runtime.s_isiter, 1),
    'lazy': (Runtime.s_lazy, 2),
    'throwable': (Runtime.s_throwable, 1),
    'binary': (Runtime.s_binary, 3),
    'compare': (Runtime.s_compare, 2),
    'unary': (Runtime.s_unary, 2),
    'setitem': (Runtime.s_setitem, 3),
    'delitem': (Runtime.s_delitem, 2),
    'delattr': (Runtime.s_delattr, 2),
    'len': (Runtime.s_len, 1),
    'contains': (Runtime.s_contains, 2),
    'assoc': (Runtime.s_assoc, 2),
    'dissoc': (Runtime.s_dissoc, 2),
    'conj': (Runtime.s_conj, 2),
}


# ---------------------------------------------------------------------------------------------
# Test vectors and the self-test.

def vector_values():
    """The values of tests/protocol/vectors.txt, by name (the Rust side builds the same)."""
    return [
        ('none', None),
        ('true', True),
        ('false', False),
        ('int_small', 42),
        ('int_neg', -7),
        ('int_max', 2 ** 63 - 1),
        ('int_min', -2 ** 63),
        ('big_pos', 2 ** 64),
        ('big_neg', -(2 ** 70)),
        ('float', 1.5),
        ('float_neg_zero', -0.0),
        ('str_ascii', 'hi'),
        ('str_unicode', '\u00e9\U0001F600'),
        ('bytes', b'\x00\xff'),
        ('list_empty', []),
        ('list_mixed', [1, 'a', None]),
        ('tuple', (1, 2)),
        ('dict', {'a': 1, 2: [3]}),
        ('handle', Handle(7)),
        ('callback', Callback(3)),
        ('step', StepRef(2)),
        ('array', Array('float32', [2], struct.pack('<2f', 1.0, 2.0))),
        ('msg_run', ['run', 1, 'auto',
                     [['import', 'math'], ['getattr', StepRef(0), 'sqrt'],
                      ['call', StepRef(1), [16], []]],
                     [5]]),
        ('msg_error', ['error', 3, 1, 'ValueError', 'bad', Handle(9), False, None]),
        ('pending', PendingRef(5)),
        ('shared_array', SharedArray('float64', [2, 3], 9, 17, 48, False)),
        ('msg_unmap', ['unmap', [9, 10]]),
        ('msg_run_keep', ['run', 6, 'auto', [['call', PendingRef(5), [2.0, None], []]], [],
                          True]),
        ('msg_run_acked', ['run', 7, 'deep', [['getattr', PendingRef(6), 'real']], [8], False,
                           5]),
        ('msg_skipped', ['skipped', 7]),
        ('msg_resume', ['resume']),
        ('msg_forget', ['forget', [5, 6]]),
        ('msg_batch', ['batch', [['resume'], ['run', 8, 'auto', [], [], True]]]),
    ]


_VECTORS_HEADER = """\
# Test vectors of the worker protocol (docs/protocol.md, section 11).
# One vector a line: NAME HEX, where HEX is a whole frame (the u32 little-endian length prefix
# and the payload) in lowercase hexadecimal. The value each name stands for is written in
# src/bridge/workers/runtime.py (vector_values) and in the Rust tests; both sides decode every
# frame to that value and encode the value to exactly these bytes.
# Generated by: python src/bridge/workers/runtime.py --write-vectors tests/protocol/vectors.txt
"""


def _default_vectors_path():
    here = os.path.dirname(os.path.abspath(globals().get('__file__') or '.'))
    return os.path.normpath(os.path.join(here, '..', '..', '..', 'tests', 'protocol',
                                         'vectors.txt'))


def write_vectors(path):
    with open(path, 'w', encoding='ascii', newline='\n') as f:
        f.write(_VECTORS_HEADER)
        for name, value in vector_values():
            f.write('%s %s\n' % (name, encode(value).hex()))


def same(a, b):
    """Equal and of the same types throughout (1 is not True, 0.0 is not -0.0)."""
    todo = [(a, b)]
    while todo:
        a, b = todo.pop()
        t = type(a)
        if t is not type(b):
            return False
        if t is float:
            if _F64.pack(a) != _F64.pack(b):
                return False
        elif t is list or t is tuple:
            if len(a) != len(b):
                return False
            todo.extend(zip(a, b))
        elif t is dict or t is Map:
            pa = list(a.items()) if t is dict else a.pairs
            pb = list(b.items()) if t is dict else b.pairs
            if len(pa) != len(pb):
                return False
            for (k1, v1), (k2, v2) in zip(pa, pb):
                todo.append((k1, k2))
                todo.append((v1, v2))
        elif a != b:
            return False
    return True


def self_test(args):
    path = args[0] if args else _default_vectors_path()
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    expected = collections.OrderedDict(vector_values())
    # 1. The vectors file: every line decodes to its value and the value encodes to its bytes.
    try:
        with open(path, encoding='ascii') as f:
            lines = f.read().splitlines()
    except OSError as e:
        print('self-test: cannot read the test vectors %s: %s' % (path, e), file=sys.stderr)
        print('self-test: pass the path: runtime.py --self-test PATH/vectors.txt',
              file=sys.stderr)
        return 2
    seen = []
    frames = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith('#'):
            continue
        parts = line.split()
        if len(parts) != 2:
            failures.append('line %d: not NAME HEX: %r' % (number, line))
            continue
        name, hexed = parts
        seen.append(name)
        if name not in expected:
            failures.append('line %d: unknown vector %r' % (number, name))
            continue
        try:
            frame = bytes.fromhex(hexed)
        except ValueError:
            failures.append('line %d: %s: not hexadecimal' % (number, name))
            continue
        if hexed != frame.hex():
            failures.append('%s: the hex is not lowercase' % name)
        frames[name] = frame
        got = Decoder().feed(frame)
        check(len(got) == 1 and same(got[0], expected[name]),
              '%s: decodes to %r, expected %r' % (name, got, expected[name]))
        if len(got) == 1 and type(got[0]) is not BadFrame:
            check(encode(got[0]) == frame, '%s: the decoded value re-encodes differently' % name)
        mine = encode(expected[name])
        check(mine == frame, '%s: encodes to %s, the file has %s' % (name, mine.hex(), hexed))
    for name in expected:
        check(seen.count(name) == 1, 'vector %r appears %d times in %s'
              % (name, seen.count(name), path))

    # 2. Partial frames: fed a byte at a time, a message appears only with its last byte; and
    #    all the frames in one read come out in order.
    for name, value in expected.items():
        frame = encode(value)
        d = Decoder()
        got = []
        for i in range(len(frame)):
            out = d.feed(frame[i:i + 1])
            if i + 1 < len(frame):
                check(out == [], '%s: a message came out after %d of %d bytes'
                      % (name, i + 1, len(frame)))
            got.extend(out)
        check(len(got) == 1 and same(got[0], value), '%s: byte-by-byte gives %r' % (name, got))
        check(d.pending() == 0, '%s: bytes left over' % name)
    d = Decoder()
    stream = b''.join(encode(v) for v in expected.values())
    got = d.feed(stream[:7]) + d.feed(stream[7:])
    check(len(got) == len(expected) and all(same(a, b) for a, b in zip(got, expected.values())),
          'all frames in two reads: %r' % (got,))

    # 3. Nesting: a value at depth 1000 (the message at 0) passes, at 1001 it is refused with
    #    RecursionError, when encoding and when decoding.
    def nest(k, leaf):
        v = leaf
        for _ in range(k):
            v = [v]
        return v
    # (lists around the leaf when its deepest value is at depth 1000, the leaf)
    for k, leaf in ((1000, None), (1000, []), (999, {'k': 1}), (999, (1,))):
        ok = nest(k, leaf)
        try:
            got = Decoder().feed(encode(ok))
            check(len(got) == 1 and same(got[0], ok),
                  'depth 1000 does not round-trip (leaf %r)' % (leaf,))
        except RecursionError:
            failures.append('depth 1000 refused by the encoder (leaf %r)' % (leaf,))
        try:
            encode(nest(k + 1, leaf))
            failures.append('depth 1001 accepted by the encoder (leaf %r)' % (leaf,))
        except RecursionError:
            pass
    raw = b'l\x01\x00\x00\x00' * 1001 + b'N'
    got = Decoder().feed(_U32.pack(len(raw)) + raw)
    check(len(got) == 1 and type(got[0]) is BadFrame
          and isinstance(got[0].error, RecursionError),
          'depth 1001 not refused by the decoder: %r' % (got[:1],))
    raw = b'l\x01\x00\x00\x00' * 1000 + b'N'
    got = Decoder().feed(_U32.pack(len(raw)) + raw)
    check(len(got) == 1 and type(got[0]) is not BadFrame, 'depth 1000 refused by the decoder')
    try:
        encode(nest(999, Array('int8', [1], b'\x01')))
        failures.append('an array whose shape items are at depth 1001 was accepted')
    except RecursionError:
        pass
    check(same(Decoder().feed(encode(nest(998, Array('int8', [1], b'\x01'))))[0],
               nest(998, Array('int8', [1], b'\x01'))), 'an array at depth 998')

    # 4. Bad frames are consumed and reported; the frames after them still decode.
    for payload, what in [(b'?', 'unknown value tag'), (b's\x05\x00\x00\x00ab', 'ends early'),
                          (b'l\xff\xff\xff\xff', 'ends early'), (b'NN', 'bytes after'),
                          (b's\x01\x00\x00\x00\xff', 'not UTF-8'),
                          (b'I\x02\x00\x00\x00zz', 'hexadecimal'), (b'i\x01\x02', 'ends early')]:
        got = Decoder().feed(_U32.pack(len(payload)) + payload + encode(5))
        check(len(got) == 2 and type(got[0]) is BadFrame and what in str(got[0].error)
              and same(got[1], 5), 'bad payload %r gives %r' % (payload, got))
    bad = encode(['run', 12, 'auto', [], []])[4:-1] + b'?'
    got = Decoder().feed(_U32.pack(len(bad)) + bad)
    check(len(got) == 1 and type(got[0]) is BadFrame and got[0].kind == 'run'
          and got[0].id == 12, 'a bad run frame names its rid: %r' % (got,))

    # 5. The long length form, and values at the edges.
    got = Decoder().feed(_U32.pack(_LONG) + _U64.pack(1) + b'N' + encode(1))
    check(len(got) == 2 and got[0] is None and got[1] == 1, 'long length form: %r' % (got,))
    edges = [2 ** 63, -2 ** 63 - 1, -500, 10 ** 400, float('inf'), float('-inf'), 5e-324,
             '', '\x00', 'a\U0010FFFFb', b'', (), {}, ((),), {(1, 2): 'tuple key'},
             Map([([1], 'list key')]), {Handle(1): 1}, [Callback(0), StepRef(4294967295)],
             Array('uint8', [], b'\x07'), Array('int64', [2, 0], b''),
             Array('float64', [2, 3], bytes(range(48)))]
    for v in edges:
        got = Decoder().feed(encode(v))
        check(len(got) == 1 and same(got[0], v), 'round trip of %r gives %r' % (v, got))
    check(encode(-500)[4:] == b'i' + _I64.pack(-500), '-500 is i')
    check(encode(-2 ** 63 - 1)[4:] == b'I\x11\x00\x00\x00-8000000000000001', 'I digits')
    nan = Decoder().feed(encode(float('nan')))[0]
    check(nan != nan, 'nan round trip')
    check(Decoder().feed(encode('a\udcffb'))[0] == 'a\\udcffb', 'lone surrogate as an escape')
    check(same(Decoder().feed(encode([True, 1, 1.0]))[0], [True, 1, 1.0]), 'bool/int/float')

    # 6. The common request's fast decoding gives what the general decoder gives, for every
    #    variant and every damaged copy of it (a byte changed, the payload cut short).
    for v in _fast_run_samples():
        payload = encode_payload(v)
        check(_fast_run(bytearray(payload), 0, len(payload)) is not None or not _fast_like(v),
              'the fast decoding misses %r' % (v,))
        got = Decoder().feed(encode(v))
        check(len(got) == 1 and same(got[0], v), 'fast decoding of %r gives %r' % (v, got))
        damaged = []
        for i in range(len(payload)):
            for b in (0x00, 0x01, 0x46, 0x54, 0x69, 0x6C, 0xFF, payload[i] ^ 1):
                if b != payload[i]:
                    damaged.append(payload[:i] + bytes((b,)) + payload[i + 1:])
            damaged.append(payload[:i])
        for d in damaged:
            # (Inside a longer buffer: the fast path must not read past the frame.)
            buf = bytearray(d + b'l\x00\x00\x00\x00' * 4)
            fast = _fast_run(buf, 0, len(d))
            if fast is None:
                continue
            try:
                general = decode_payload(d)
            except DecodeError as e:
                failures.append('the fast decoding accepts %r (%s): %r' % (d, e, fast))
                continue
            check(same(fast, general), 'fast %r, general %r of %r' % (fast, general, d))

    # 7. The runtime itself: pipelining, skipping, coalesced replies, --replay.
    failures.extend(runtime_test())

    if failures:
        print('self-test FAILED (%d):' % len(failures), file=sys.stderr)
        for f in failures:
            print('  ' + f, file=sys.stderr)
        return 1
    print('self-test passed: %d vectors from %s, partial frames, nesting limits, bad frames, '
          'edge values, fast decoding, pipelining and coalescing, --replay'
          % (len(expected), path))
    return 0


def _fast_like(v):
    """Whether _fast_run is meant to decode message `v`."""
    return (type(v) is list and len(v) in (5, 6, 7) and v[0] == 'run' and v[2] in ('auto', 'deep')
            and len(v[3]) == 1 and v[3][0][0] == 'call' and type(v[3][0][1]) in (Handle, PendingRef)
            and all(type(a) in (float, str, bool, type(None))
                    or type(a) is int and _I64_MIN <= a <= _I64_MAX for a in v[3][0][2])
            and v[3][0][3] == [] and all(type(r) is int for r in v[4])
            and all(type(x) is bool for x in v[5:6]) and all(type(x) is int for x in v[6:]))


def _fast_run_samples():
    h, p = Handle(3), PendingRef(2 ** 40)
    call = ['call', h, [2.0], []]
    out = []
    for tail in ([], [True], [False], [True, 9], [False, -1]):
        for releases in ([], [1, 2 ** 62]):
            for mode in ('auto', 'deep', 'handle'):
                out.append(['run', 7, mode, [call], releases] + tail)
    for args in ([], [1], [-2 ** 63, 2 ** 63 - 1], ['', 'h\u00e9', None, True, False, 0.5],
                 [2 ** 64], [b'x'], [[1]], [StepRef(0)], [p]):
        out.append(['run', 8, 'auto', [['call', h, args, []]], [], True])
        out.append(['run', 8, 'auto', [['call', p, args, []]], [], True, 3])
    out.append(['run', 9, 'auto', [['call', h, [], [['k', 1]]]], [], True])
    out.append(['run', 9, 'auto', [['call', StepRef(0), [], []]], [], True])
    out.append(['run', 9, 'auto', [['call', h, [], []], ['len', StepRef(0)]], [], True])
    out.append(['run', 9, 'auto', [['call', h, [1.0], []]], [Handle(2)], True])
    out.append(['run', 9, 'auto', [['call', h, [1.0], []]], [], 1])
    out.append(['run', 9, 'auto', [['call', h, [1.0], []]], [], True, None])
    out.append(['run', 9, 'auto', [['call', h, [1.0], []]], [], True, 1, 2])
    out.append(['rux', 9, 'auto', [['call', h, [1.0], []]], [], True])
    out.append(['run', 9, 'auto', [['calm', h, [1.0], []]], [], True])
    return out


def runtime_test():
    """Drives a Runtime in this process over the replay machinery (requests from memory,
    replies to a temporary file): the failures found."""
    import subprocess
    import tempfile
    failures = []
    logged = []
    saved_limit = sys.getrecursionlimit()

    def drive(msgs, per_frame):
        """The replies to `msgs`, sent all in one read or a frame a read; and how many were
        held back."""
        data = b''.join(encode(m) for m in msgs)
        bounds = []
        at = 0
        for m in msgs:
            n = len(encode(m))
            bounds.append((at, at + n))
            at += n
        with tempfile.TemporaryFile() as f:
            rt = Runtime(-1, f.fileno(), {'__builtins__': _builtins})
            rt.log = logged.append
            reads = iter(bounds) if per_frame else iter([(0, len(data))])

            def read(fd, n):
                if rt.obuf:
                    failures.append('a read with replies held back')
                b = next(reads, (0, 0))
                return data[b[0]:b[1]]
            rt.read = read
            held = [0]
            hold = rt.hold

            def counting(msg):
                held[0] += 1
                hold(msg)
            rt.hold = counting
            try:
                while True:
                    rt.dispatch(rt.recv())
            except (_HostGone, _Exit):
                pass
            kept = sorted(rt.kept)
            rt.shutdown()
            rt.set_capture(False)
            f.seek(0)
            replies = Decoder().feed(f.read())
        return replies, held[0], rt, kept

    sqrt = ['run', 1, 'handle', [['import', 'math'], ['getattr', StepRef(0), 'sqrt']], []]
    length = [['builtin', 'len'], ['call', StepRef(0), [PendingRef(2)], []]]
    msgs = [
        sqrt,
        ['run', 2, 'auto', [['eval', '[1, 2, 3]']], [], True],
        ['run', 3, 'auto', length, [], True],
        ['run', 4, 'auto', [['builtin', 'len'],
                            ['call', StepRef(0), [[PendingRef(2), {'k': PendingRef(2)}]], []]],
         [], False],
        ['run', 5, 'auto', [['call', Handle(1), [16.0], []]], [], True],
        ['run', 6, 'handle', [['builtin', 'abs']], [], True],
        ['run', 7, 'auto', [['call', PendingRef(6), [-3], []]], [], True, 0],
        ['run', 8, 'auto', [], [], True],
        ['run', 9, 'auto', [['builtin', 'repr'], ['call', StepRef(0), [PendingRef(8)], []]], []],
        ['forget', [2, 99]],
        ['run', 10, 'auto', length, [], False],
        # A failing pipelined run: the runs after it are skipped until `resume`.
        ['run', 11, 'auto', [['eval', '1/0']], [], True],
        ['run', 12, 'handle', [['eval', 'object()']], [], False],
        ['run', 13, 'auto', [['call', Handle(1), [4.0], []]], [Handle(1)], True],
        ['meta', 14, 'describe', Handle(1), 'type'],
        ['release', []],
        ['resume'],
        ['run', 15, 'auto', [['eval', '2']], [], True],
        ['run', 16, 'auto', [['call', PendingRef(13), [], []]], [], False],
        # A failing run that is not pipelined does not skip.
        ['run', 17, 'auto', [['eval', '1/0']], []],
        ['run', 18, 'auto', [['eval', '5']], [], False],
        # An interrupt, and a malformed pipelined run, skip too.
        ['run', 19, 'auto', [['eval', '(_ for _ in ()).throw(KeyboardInterrupt)']], [], True],
        ['run', 20, 'auto', [['eval', '6']], []],
        ['batch', [['resume'], ['run', 21, 'auto', [['eval', '7']], [], True]]],
        ['run', 22, 'nonsense', [], [], True],
        ['run', 23, 'auto', [['eval', '8']], [], True],
        ['resume'],
        # Kept values up to `acked` are let go.
        ['run', 24, 'auto', [['eval', '[9]']], [], True],
        ['run', 25, 'auto', [['builtin', 'len'], ['call', StepRef(0), [PendingRef(24)], []]],
         [], True, 23],
        ['run', 26, 'auto', [['eval', '1']], [], 1],
        ['run', 30, 'auto', [], [], False, 25],
        # Output stays in order with the replies, coalesced or not.
        ['capture', True],
        ['run', 27, 'auto', [['eval', 'print("out 27", end="") or 27']], [], True],
        ['run', 28, 'auto', [['eval', '28']], [], True],
        ['run', 29, 'auto', [['eval', 'print("out 29") or 29']], [], True],
        ['capture', False],
    ]
    # (A frame a read: nothing is ever held back.)
    one, held_one, _, _ = drive(msgs, True)
    # (All at once: the replies of runs with more requests behind them are held back.)
    many, held_many, rt, kept = drive(msgs, False)
    sys.setrecursionlimit(saved_limit)
    if held_one or not held_many:
        failures.append('replies held back: %d a frame a read, %d all at once'
                        % (held_one, held_many))
    if not (len(one) == len(many) and all(same(a, b) for a, b in zip(one, many))):
        failures.append('the replies differ when coalesced:\n  %r\n  %r' % (one, many))

    def reply(rid):
        for r in many:
            if type(r) is list and len(r) > 1 and r[1] == rid and r[0] != 'output':
                return r
        return None

    def want(rid, kind, value=_NO, what=''):
        r = reply(rid)
        ok = r is not None and r[0] == kind
        if ok and value is not _NO:
            ok = same(r[2], value) if kind == 'result' else value in ' '.join(map(str, r))
        if not ok:
            failures.append('request %d%s: got %r, expected %s %r' % (rid, what, r, kind,
                                                                     value))
    want(3, 'result', 3, ' (len of a kept list)')
    want(4, 'result', 2, ' (kept values inside data)')
    want(5, 'result', 4.0)
    want(7, 'result', 3, ' (a kept function called)')
    want(9, 'result', 'None', ' (an empty chain keeps None)')
    want(10, 'error', 'the result of request 2 is not available', ' (forgotten)')
    want(11, 'error', 'ZeroDivisionError')
    for rid in (12, 13):
        want(rid, 'skipped', what=' (after a failed pipelined run)')
    if reply(12) is not None and len(reply(12)) != 2:
        failures.append('a skipped reply is ["skipped", rid]: %r' % (reply(12),))
    if 1 in rt.handles:
        failures.append('the releases of a skipped run were not applied')
    r = reply(14)
    if not (r is not None and r[0] == 'meta-result' and r[2] is None):
        failures.append('meta while skipping (of the released handle): %r' % (r,))
    want(15, 'result', 2, ' (after resume)')
    want(16, 'error', 'the result of request 13 is not available', ' (skipped, not kept)')
    want(17, 'error', 'ZeroDivisionError')
    want(18, 'result', 5, ' (a failed run that is not pipelined does not skip)')
    r = reply(19)
    if not (r is not None and r[0] == 'error' and r[6] is True):
        failures.append('an interrupted pipelined run: %r' % (r,))
    want(20, 'skipped', what=' (after an interrupt)')
    want(21, 'result', 7, ' (a batch: resume, run)')
    want(22, 'error', 'bad run message')
    want(23, 'skipped', what=' (after a malformed pipelined run)')
    want(25, 'result', 1)
    if 24 in kept or 25 in kept or 27 not in kept:
        failures.append('acked: kept %r' % (kept,))
    want(26, 'error', 'bad run message', ' (keep is a bool)')
    order = [(r[0], r[1]) for r in many if type(r) is list and r and r[0] in ('output', 'result')
             and (r[0] == 'output' or 27 <= r[1] <= 29)]
    if order != [('output', 1), ('result', 27), ('result', 28), ('output', 1), ('result', 29)]:
        failures.append('output and replies out of order: %r' % (order,))

    # --replay: a file of frames, handled in a child process.
    with tempfile.NamedTemporaryFile(suffix='.frames', delete=False) as f:
        f.write(encode(sqrt))
        for rid in range(2, 502):
            f.write(encode(['run', rid, 'auto', [['call', Handle(1), [2.0], []]], [], True,
                            rid - 10]))
        f.write(encode(['batch', [['forget', [500]], ['resume']]]))
        name = f.name
    try:
        script = globals().get('__file__') or sys.argv[0]
        out = subprocess.run([sys.executable, script, '--replay', name], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
        import json
        try:
            got = json.loads(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            got = None
        if (out.returncode != 0 or type(got) is not dict or got.get('messages') != 503
                or not isinstance(got.get('seconds'), float) or out.stderr):
            failures.append('--replay: status %d, %r, stderr %r'
                            % (out.returncode, out.stdout, out.stderr))
    finally:
        os.unlink(name)
    return failures


# ---------------------------------------------------------------------------------------------

_USAGE = """\
usage: python -u runtime.py REQUEST_FD REPLY_FD   (the worker; started by polyglot)
       python -u runtime.py --ray ADDRESS REQUEST_FD REPLY_FD
                                                 (the same worker in a Ray actor's process)
       python runtime.py --self-test [VECTORS]   (check the codec against the test vectors)
       python runtime.py --write-vectors PATH    (write the test vectors)
       python runtime.py --replay FRAMES         (time decode+dispatch of recorded requests)
"""


def echo(rfd, wfd):
    """The raw floor for benchmarks (P8): frames read on rfd are written back unchanged, with no
    decoding, by the same reads and writes the runtime uses."""
    buf = bytearray()
    while True:
        chunk = os.read(rfd, 65536)
        if not chunk:
            return 0
        buf += chunk
        while len(buf) >= 4:
            n = int.from_bytes(buf[:4], 'little')
            if len(buf) < 4 + n:
                break
            frame = bytes(buf[:4 + n])
            del buf[:4 + n]
            view = memoryview(frame)
            while view:
                view = view[os.write(wfd, view):]


_ALWAYS_CAPTURE = os.environ.get('POLYGLOT_CAPTURE') == 'always'


def _host_pid():
    """The PID of the polyglot process (whose /proc fds shared arrays are mapped through): the
    parent, unless a Ray actor started this worker on polyglot's behalf."""
    return int(os.environ.get('POLYGLOT_HOST_PID') or os.getppid())


def main(argv):
    if argv[:1] == ['--ray'] and len(argv) == 4:
        return ray_driver(argv[1], int(argv[2]), int(argv[3]))
    if argv[:1] == ['--self-test']:
        return self_test(argv[1:])
    if argv[:1] == ['--echo'] and len(argv) == 3:
        return echo(int(argv[1]), int(argv[2]))
    if argv[:1] == ['--write-vectors'] and len(argv) == 2:
        write_vectors(argv[1])
        return 0
    if argv[:1] == ['--replay'] and len(argv) == 2:
        return replay(argv[1])
    if len(argv) != 2 or not all(a.isdigit() for a in argv):
        sys.stderr.write(_USAGE)
        return 2
    rfd, wfd = int(argv[0]), int(argv[1])
    for fd in (rfd, wfd):
        try:
            os.fstat(fd)
        except OSError as e:
            sys.stderr.write('polyglot worker: fd %d is not open (%s)\n%s' % (fd, e, _USAGE))
            return 2
        try:
            # Processes the user starts do not keep the host's pipes open.
            os.set_inheritable(fd, False)
        except OSError:
            pass
    runtime = Runtime(rfd, wfd, _user_namespace())
    return runtime.serve()


def _user_namespace():
    """The user's namespace: a fresh `__main__` module, so pickling what `exec` defines works
    and nothing of the runtime is in it. As embedded: no script arguments, and not the runtime's
    directory on the path."""
    main_module = types.ModuleType('__main__')
    main_module.__dict__['__builtins__'] = _builtins
    sys.modules['__main__'] = main_module
    sys.argv = ['']
    here = os.path.dirname(os.path.realpath(globals().get('__file__') or '.'))
    if sys.path and sys.path[0] and os.path.realpath(sys.path[0]) == here:
        del sys.path[0]
    return main_module.__dict__


def replay(path):
    """--replay FILE: the in-process baseline of the pipelining benchmark. FILE holds host ->
    worker frames back to back (as the host sends them); they are read into memory first, then
    a timed loop feeds them to the decoder (in reads of the size the worker makes) and handles
    every message as serve() does, replies written to os.devnull. Prints one JSON line
    {"messages": N, "seconds": S} (N counts the messages a `batch` holds, not the batch)."""
    import json
    import time
    with open(path, 'rb') as f:
        data = f.read()
    out = os.open(os.devnull, os.O_WRONLY)
    rt = Runtime(-1, out, _user_namespace())
    at = [0]

    def read(fd, n):
        start = at[0]
        chunk = data[start:start + n]
        at[0] = start + len(chunk)
        return chunk
    rt.read = read
    count = 0
    recv = rt.recv
    dispatch = rt.dispatch
    t0 = time.perf_counter()
    try:
        while True:
            try:
                msg = recv()
                if type(msg) is not list or not msg or msg[0] != 'batch':
                    count += 1
                dispatch(msg)
            except (_HostGone, _Exit):
                raise
            except BaseException as e:
                rt.log_exc('while waiting for a request: %s' % _error_display(e), e)
    except (_HostGone, _Exit):
        pass
    if rt.obuf:
        rt.send(b'')
    seconds = time.perf_counter() - t0
    rt.set_capture(False)
    rt.shutdown()
    os.close(out)
    sys.stdout.write(json.dumps({'messages': count, 'seconds': seconds}) + '\n')
    sys.stdout.flush()
    return 0


class PageRuntime(Runtime):
    """The runtime in Pyodide, in the same Web Worker (or Node process) as the Lisp: no pipes.
    The host hands frames to `pump`, which handles them to the end and returns the frames
    answered. When a request needs the host before it ends (a Lisp callback), `recv` calls
    `host_exchange` (the embedder's) with what is to be sent and gets the host's answer, while
    the request waits on the stack: one thread, one stack, both languages."""

    def __init__(self, host_exchange, namespace, max_nesting=None):
        Runtime.__init__(self, -1, -1, namespace)
        self.host_exchange = host_exchange
        self.out = bytearray()
        # Lisp functions called from Python, nested: each level puts Pyodide's interpreter on
        # the page's JS stack again, which wasm cannot grow; past the embedder's limit the
        # call is a RecursionError here rather than a stack overflow that would break both.
        self.max_nesting = max_nesting
        self.nesting = 0

    def call_lisp(self, ident, args, kwargs, limit=None):
        if self.max_nesting is not None and self.nesting >= self.max_nesting:
            raise RecursionError(
                'Lisp functions called from Python nest %d deep: as deep as the stack of this '
                'page allows' % self.max_nesting)
        self.nesting += 1
        try:
            return Runtime.call_lisp(self, ident, args, kwargs, limit)
        finally:
            self.nesting -= 1

    def write_all(self, data):
        self.out += data

    def _take_out(self):
        if self.obuf:
            self.out += self.obuf
            self.obuf = bytearray()
        data = bytes(self.out)
        self.out = bytearray()
        return data

    def recv(self):
        """The next message: while none is here, what is to be sent goes to the host, whose
        answer comes back (a nested request may run meanwhile: not "in I/O" here)."""
        inbox = self.inbox
        while not inbox:
            reply = self.host_exchange(self._take_out().decode('latin-1')).encode('latin-1')
            if not reply:
                raise RuntimeError('polyglot runtime: the host answered nothing')
            inbox.extend(self.decoder.feed(reply))
        return inbox.popleft()

    def pump(self, data):
        """Frames from the host: handled to the end; the frames answered. Both ways the bytes
        travel as a str of code points 0-255 (latin-1): a JS string crosses into Pyodide and
        back several times faster than a buffer, which needs proxies."""
        inbox = self.inbox
        inbox.extend(self.decoder.feed(data.encode('latin-1')))
        while inbox:
            try:
                self.dispatch(inbox.popleft())
            except _Exit:
                break
            except BaseException as e:
                self.log_exc('while handling a request: %s' % _error_display(e), e)
        # Replies flushed the output before them; only what came after is left.
        if self.out_buf or self.out_late:
            self.out_flush()
        return self._take_out().decode('latin-1')

    def on_exit(self, msg):
        """The session ends: the exit work of a process that ends (atexit handlers, flushed
        output), but Pyodide goes on."""
        import atexit
        try:
            atexit._run_exitfuncs()
        except BaseException as e:
            self.log_exc('in an atexit handler: %s' % _error_display(e), e)
        self.flush_all()

    def log(self, text):
        try:
            sys.__stderr__.write('polyglot runtime: ' + text.rstrip('\n') + '\n')
        except Exception:
            pass


def start_page(host_exchange, max_nesting=None):
    """The runtime of a page (see PageRuntime): its `pump`. Output is always captured (it
    reaches the page through the Lisp's output, in order with the Lisp's own). `max_nesting`:
    how deep Lisp functions called from Python may nest (None: no limit but Python's own)."""
    rt = PageRuntime(host_exchange, _user_namespace(), max_nesting)
    rt.set_capture(True)
    _page_event_loop()
    if hasattr(signal, 'SIGINT'):
        try:
            signal.signal(signal.SIGINT, rt.on_sigint)
        except (ValueError, OSError):
            pass
    return rt.pump


# The runtime's own frames that the embedded backend has no counterpart of (Runtime.own_frames):
# the request loop and a callback's wait. The steps' own two frames are counted apart; the
# helpers (take, lisp_lazy...) the embedded backend runs too are not counted. By id: hashing a code
# object hashes all of it, every time.
_WORKER_CODES = frozenset(id(f.__code__) for f in (
    main, replay, Runtime.serve, Runtime.dispatch, Runtime.on_run, Runtime.run_chain,
    Runtime.wait_return, Runtime.call_lisp, Runtime.run_jobs, Runtime.on_sigusr2,
    LispFunction.__call__, PageRuntime.pump, PageRuntime.recv, PageRuntime.call_lisp))
# The script's frames below main (the bootstrap), when run as the worker.
_SCRIPT_GLOBALS = globals().get('_SCRIPT_GLOBALS')


# -- Ray (--backend ray) ------------------------------------------------------------------------
#
# `--ray ADDRESS RFD WFD` makes this process a Ray *driver* for one pool worker: it joins the
# cluster, creates an actor, and the actor starts this same runtime as a process of its own on
# its node (a real main thread: signals, Ctrl-C, the handle table, as with --backend workers).
# The driver then only forwards bytes: the host's frames to the actor's runtime over TCP, and
# the replies back. Ray's own threads, logs and prints stay out of the host's terminal (the
# runtime sends its output over the protocol), a SIGINT to the driver interrupts the running
# call, and when the runtime or its actor dies the driver ends the same way, with the cause as
# its last words on stderr.

_RAY_ACTOR = r"""
import os, signal, socket, subprocess, sys, threading

class PolyglotWorker:
    def __init__(self, source, host_pid, host_boot):
        import tempfile
        fd, path = tempfile.mkstemp(prefix='polyglot-runtime-', suffix='.py')
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(source)
        self.path = path
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        env = dict(os.environ, POLYGLOT_CAPTURE='always')
        same = host_boot == _boot_id()
        env['POLYGLOT_HOST_PID'] = str(host_pid if same else 0)
        def child():
            os.setpgid(0, 0)
            try:
                import ctypes
                ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            except Exception:
                pass
        self.proc = subprocess.Popen([sys.executable, '-u', path, str(req_r), str(rep_w)],
                                     pass_fds=(req_r, rep_w), stdin=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env, preexec_fn=child)
        os.close(req_r)
        os.close(rep_w)
        self.to_runtime, self.from_runtime = req_w, rep_r
        self.last = ''
        threading.Thread(target=self._stderr, daemon=True).start()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(('0.0.0.0', 0))
        self.listener.listen(1)
        threading.Thread(target=self._serve, daemon=True).start()

    def _stderr(self):
        for line in self.proc.stderr:
            line = line.decode('utf-8', 'replace').rstrip()
            if line:
                self.last = line
            sys.stderr.write(line + '\n')

    def _serve(self):
        conn, _ = self.listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=forward, daemon=True,
                         args=(lambda: conn.recv(1 << 16), lambda d: write_all(self.to_runtime, d),
                               lambda: os.close(self.to_runtime))).start()
        forward(lambda: os.read(self.from_runtime, 1 << 16), conn.sendall)
        self.proc.wait()
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()

    def address(self):
        import ray
        return ray.util.get_node_ip_address(), self.listener.getsockname()[1], self.proc.pid

    def interrupt(self):
        try:
            os.kill(self.proc.pid, signal.SIGINT)
        except OSError:
            pass

    def ended(self):
        self.proc.wait()
        try:
            os.unlink(self.path)
        except OSError:
            pass
        return self.proc.returncode, self.last

def _boot_id():
    try:
        with open('/proc/sys/kernel/random/boot_id') as f:
            return f.read().strip()
    except OSError:
        return ''

def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]

def forward(read, write, done=None):
    # Copies what `read` gives to `write` until end of input (or an error), then `done`.
    try:
        while True:
            data = read()
            if not data:
                break
            write(data)
    except OSError:
        pass
    if done is not None:
        try:
            done()
        except OSError:
            pass
"""



def ray_driver(address, rfd, wfd):
    """The Ray driver of one pool worker (see above); its exit mirrors the runtime's."""
    os.environ.setdefault('RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER', '0')
    # Ray writes into its driver's stdout: that is stderr here, never the host's pipes.
    os.dup2(2, 1)
    try:
        import ray
    except ImportError:
        sys.stderr.write('polyglot: Ray is not installed in this Python environment (%s); '
                         'install it with: %s -m pip install "ray[default]"\n'
                         % (sys.executable, sys.executable))
        return 3
    import logging
    import socket
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR,
                 include_dashboard=False, configure_logging=False)
    except Exception as e:
        sys.stderr.write('polyglot: cannot join the Ray cluster at %s: %s\n'
                         % (address, _error_display(e)))
        return 3
    namespace = {'__name__': '_polyglot_ray_actor'}
    exec(compile(_RAY_ACTOR, '<polyglot-ray>', 'exec'), namespace)
    actor_class = ray.remote(num_cpus=0, max_concurrency=4)(namespace['PolyglotWorker'])
    actor = actor_class.remote(_SOURCE, os.getppid(), namespace['_boot_id']())
    try:
        ip, port, pid = ray.get(actor.address.remote())
    except Exception as e:
        sys.stderr.write('polyglot: the Ray actor did not start: %s\n' % _error_display(e))
        return 3
    conn = socket.create_connection((ip, port))
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def interrupt(signum, frame):
        actor.interrupt.remote()
    signal.signal(signal.SIGINT, interrupt)

    def close_up():
        conn.shutdown(socket.SHUT_WR)
    forward_ = namespace['forward']
    threading.Thread(target=forward_, daemon=True,
                     args=(lambda: os.read(rfd, 1 << 16), conn.sendall, close_up)).start()
    # A SIGINT may land on one of Ray's threads: the main thread then runs the handler only
    # when it next wakes, so it never sleeps long.
    import select

    def down():
        while not select.select([conn], [], [], 0.1)[0]:
            pass
        return conn.recv(1 << 16)
    forward_(down, lambda d: namespace['write_all'](wfd, d))
    os.close(wfd)
    try:
        code, last = ray.get(actor.ended.remote(), timeout=10)
    except Exception as e:
        sys.stderr.write('%s\n' % _error_display(e))
        code, last = 1, ''
    if last:
        sys.stderr.write(last + '\n')
    sys.stderr.flush()
    if code is not None and code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code or 0)
