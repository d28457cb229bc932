#!/usr/bin/env python3
"""Drive a program in a real pseudo-terminal (standard library only) for integration tests.

Usage:
    pty_session.py [OPTIONS] STEP... -- PROGRAM [ARGS...]

The program runs in a new session with the pty as its controlling terminal (24x80), with the
environment this script was given. Steps run in order:

    --send TEXT           write TEXT (UTF-8) to the terminal, then wait a little (--gap)
    --type TEXT           write TEXT one character at a time, --gap between characters
    --expect TEXT         wait until TEXT appears in the output (ANSI stripped) after the
                          previous match; the next expectation searches after this one
    --expect-re REGEX     the same with a Python regular expression (re.MULTILINE)
    --sleep SECONDS       keep reading output for SECONDS
    --wait-cooked         wait until the terminal has ISIG on (the program is not in the line
                          editor's raw mode, so Ctrl-C becomes SIGINT)
    --wait-raw            wait until the terminal has ISIG off (the line editor is reading keys)
    --start-clock         remember the current time
    --expect-timed TEXT   like --expect; also reports `ELAPSED_MS <ms>`: from --start-clock to
                          the moment the output containing TEXT was read
    --expect-exit         wait for the program to exit; reports `EXIT <status>` (or
                          `SIGNAL <n>`)

Options (before the steps):
    --timeout SECONDS     how long an expectation waits (default 10)
    --gap SECONDS         pause after --send / between --type characters (default 0.05)
    --raw-out PATH        also write the raw bytes the program wrote (escapes included) to PATH

Output on stdout: one line per step (`step ...`, `ELAPSED_MS ...`, `EXIT ...`), then the
transcript with ANSI escape sequences removed, between `=== transcript ===` and
`=== end ===`. Exit status: 0 if every step succeeded, 1 if one failed (timeout or unexpected
exit; the failure is described on a `FAILED:` line), 2 on bad usage.

The driver answers cursor-position queries (ESC [ 6 n) like a terminal would, so line editors that
ask do not stall or swallow typed keys.
"""

import errno
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ANSI = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: cursor movement, colours, modes
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles etc.
    rb"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS / SOS / PM / APC strings
    rb"|\x1b[@-Z\\-_]"  # two-byte escapes
    rb"|\x1b[()*+][0-~]"  # character set selection
)
DSR = b"\x1b[6n"


def strip_ansi(data):
    return ANSI.sub(b"", data)


class Failure(Exception):
    pass


class Session:
    def __init__(self, argv, raw_out):
        self.raw = bytearray()
        self.chunks = []  # (monotonic time, raw end offset) of each read
        self.status = None
        self.eof = False
        self.cursor = 0  # offset into the stripped text where the next expectation searches
        self.raw_out = raw_out
        self.answered_dsr = 0
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execvp(argv[0], argv)
            except OSError as e:
                os.write(2, f"exec {argv[0]} failed: {e}\n".encode())
            os._exit(127)
        self.pid = pid
        self.fd = fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

    # -- output -------------------------------------------------------------------------------

    def text(self):
        return strip_ansi(bytes(self.raw)).decode("utf-8", "replace")

    def column(self):
        """1-based cursor column, roughly: characters since the last CR or LF."""
        tail = strip_ansi(bytes(self.raw[-400:]))
        cut = max(tail.rfind(b"\n"), tail.rfind(b"\r"))
        return len(tail[cut + 1 :].decode("utf-8", "replace")) + 1

    def pump(self, timeout):
        """Read whatever arrives within `timeout` seconds; returns True if something was read."""
        if self.eof:
            time.sleep(max(0.0, timeout))
            return False
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError as e:
            if e.errno != errno.EIO:
                raise
            data = b""
        if not data:
            self.eof = True
            return False
        before = len(self.raw)
        self.raw += data
        self.chunks.append((time.monotonic(), len(self.raw)))
        # Answer cursor position requests, looking across the chunk boundary.
        window = bytes(self.raw[max(0, before - len(DSR) + 1) :])
        for _ in range(window.count(DSR)):
            self.answered_dsr += 1
            self.write(f"\x1b[24;{self.column()}R".encode())
        return True

    def write(self, data):
        while data:
            n = os.write(self.fd, data)
            data = data[n:]

    def settle(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            self.pump(left)

    # -- steps --------------------------------------------------------------------------------

    def expect(self, pattern, timeout, describe):
        """Waits for `pattern` (a compiled regex) after the cursor; returns the arrival time."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            m = pattern.search(text, self.cursor)
            if m:
                self.cursor = m.end()
                return self.arrival_of(m.end())
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"timed out after {timeout:g} s waiting for {describe}")
            if self.eof:
                self.reap(0.5)
                raise Failure(f"the program ended ({self.status_text()}) before {describe}")
            self.pump(min(left, 0.05))

    def arrival_of(self, stripped_end):
        """The time of the read that brought the stripped text up to `stripped_end` characters."""
        for t, raw_end in self.chunks:
            if len(strip_ansi(bytes(self.raw[:raw_end])).decode("utf-8", "replace")) >= stripped_end:
                return t
        return time.monotonic()

    def wait_isig(self, want_on, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                lflag = termios.tcgetattr(self.fd)[3]
            except termios.error:
                lflag = None
            if lflag is not None and bool(lflag & termios.ISIG) == want_on:
                return
            if time.monotonic() > deadline:
                state = "cooked (ISIG on)" if want_on else "raw (ISIG off)"
                raise Failure(f"timed out after {timeout:g} s waiting for the terminal to be {state}")
            self.pump(0.005)

    def reap(self, timeout):
        deadline = time.monotonic() + timeout
        while self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = status
                break
            if time.monotonic() > deadline:
                return False
            self.pump(0.02)
        # Collect what is still buffered in the pty.
        while self.pump(0.05):
            pass
        return True

    def wait_exit(self, timeout):
        if not self.reap(timeout):
            raise Failure(f"the program did not exit within {timeout:g} s")
        return self.status_text()

    def status_text(self):
        if self.status is None:
            return "running"
        if os.WIFEXITED(self.status):
            return f"EXIT {os.WEXITSTATUS(self.status)}"
        if os.WIFSIGNALED(self.status):
            return f"SIGNAL {os.WTERMSIG(self.status)}"
        return f"STATUS {self.status}"

    def close(self):
        if self.status is None:
            for sig in (signal.SIGHUP, signal.SIGKILL):
                try:
                    os.kill(self.pid, sig)
                except ProcessLookupError:
                    pass
                if self.reap(2.0):
                    break
        try:
            os.close(self.fd)
        except OSError:
            pass
        if self.raw_out:
            with open(self.raw_out, "wb") as f:
                f.write(bytes(self.raw))


ARG_STEPS = {"--send", "--type", "--expect", "--expect-re", "--sleep", "--expect-timed"}
FLAG_STEPS = {"--wait-cooked", "--wait-raw", "--start-clock", "--expect-exit"}


def parse(argv):
    opts = {"timeout": 10.0, "gap": 0.05, "raw_out": None}
    steps = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            return opts, steps, argv[i + 1 :]
        if a in ("--timeout", "--gap", "--raw-out"):
            if i + 1 >= len(argv):
                raise ValueError(f"{a} needs a value")
            v = argv[i + 1]
            if a == "--raw-out":
                opts["raw_out"] = v
            else:
                opts[a[2:]] = float(v)
            i += 2
        elif a in ARG_STEPS:
            if i + 1 >= len(argv):
                raise ValueError(f"{a} needs a value")
            steps.append((a[2:], argv[i + 1]))
            i += 2
        elif a in FLAG_STEPS:
            steps.append((a[2:], None))
            i += 1
        else:
            raise ValueError(f"unknown argument {a!r}")
    raise ValueError("missing `-- PROGRAM`")


def main():
    try:
        opts, steps, program = parse(sys.argv[1:])
        if not program:
            raise ValueError("missing PROGRAM after --")
    except ValueError as e:
        print(f"pty_session.py: {e}", file=sys.stderr)
        return 2

    out = []
    s = Session(program, opts["raw_out"])
    clock = None
    failed = None
    try:
        for kind, arg in steps:
            out.append(f"step {kind} {arg!r}" if arg is not None else f"step {kind}")
            if kind == "send":
                s.write(arg.encode())
                s.settle(opts["gap"])
            elif kind == "type":
                for ch in arg:
                    s.write(ch.encode())
                    s.settle(opts["gap"])
            elif kind == "expect":
                s.expect(re.compile(re.escape(arg)), opts["timeout"], repr(arg))
            elif kind == "expect-re":
                s.expect(re.compile(arg, re.MULTILINE), opts["timeout"], f"/{arg}/")
            elif kind == "expect-timed":
                t = s.expect(re.compile(re.escape(arg)), opts["timeout"], repr(arg))
                start = clock if clock is not None else t
                out.append(f"ELAPSED_MS {(t - start) * 1000:.1f}")
            elif kind == "sleep":
                s.settle(float(arg))
            elif kind == "wait-cooked":
                s.wait_isig(True, opts["timeout"])
            elif kind == "wait-raw":
                s.wait_isig(False, opts["timeout"])
            elif kind == "start-clock":
                clock = time.monotonic()
            elif kind == "expect-exit":
                out.append(s.wait_exit(opts["timeout"]))
    except Failure as e:
        failed = str(e)
    finally:
        s.close()

    if failed:
        out.append(f"FAILED: {failed}")
    if s.answered_dsr:
        out.append(f"answered {s.answered_dsr} cursor position request(s)")
    out.append("=== transcript ===")
    out.append(s.text())
    out.append("=== end ===")
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
