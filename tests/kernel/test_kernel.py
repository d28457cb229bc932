"""The polyglot Jupyter kernel, driven through jupyter_client as a notebook front-end drives it.

Run by `cargo test --test kernel` (tests/kernel.rs), which installs the kernelspec for the
binary under test into a temporary prefix and points JUPYTER_PATH at it: nothing is written to
the home directory.
"""

import base64
import glob
import os
import re
import time
import unittest
from queue import Empty

import jupyter_client
import jupyter_kernel_test
import nbclient
import nbformat
from jupyter_kernel_test.msgspec_v5 import validate_message

KERNEL = os.environ.get("POLYGLOT_KERNEL_NAME", "polyglot")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT = 30


class PolyglotKernelTests(jupyter_kernel_test.KernelTests):
    """The official conformance suite, with every attribute filled in."""

    kernel_name = KERNEL
    language_name = "polyglot"
    file_extension = ".lisp"

    code_hello_world = '(println "hello, world")'
    code_stderr = '(py-exec "import sys; print(\'oops\', file=sys.stderr)")'
    completion_samples = [
        {"text": "(printl", "matches": {"println"}},
        {"text": "(macroexpa", "matches": {"macroexpand", "macroexpand-1"}},
    ]
    complete_code_samples = ["(+ 1 2)", "(defn f [x] x)", ":doc map", "1"]
    incomplete_code_samples = ["(defn f (x)", '"abc', "(let [a 1]"]
    invalid_code_samples = [")", "(+ 1 2))"]
    code_page_something = ":doc map"
    code_generate_error = "(/ 1 0)"
    code_execute_result = [
        {"code": "(+ 1 2 3)", "result": "6"},
        {"code": "(str \"a\" \"b\")", "result": '"ab"'},
        {"code": "[1 2 (* 3 4)]", "result": "[1 2 12]"},
        {"code": "(py-eval \"2 ** 70\")", "result": "1180591620717411303424"},
    ]
    code_display_data = [
        {"code": '(display-mime "text/html" "<b>hi</b>")', "mime": "text/html"},
        {"code": '(display (py-eval "__import__(\'fractions\').Fraction(1, 3)"))', "mime": "text/plain"},
    ]
    code_history_pattern = "*(+ 1*"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "map"
    code_clear_output = "(clear-output)"


class PolyglotIopubWelcome(jupyter_kernel_test.IopubWelcomeTests):
    kernel_name = KERNEL
    support_iopub_welcome = True


class Session:
    """One kernel and a client, with helpers that collect a request's iopub messages."""

    def __init__(self):
        self.km, self.kc = jupyter_client.manager.start_new_kernel(kernel_name=KERNEL)

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def collect(self, msg_id, timeout=TIMEOUT):
        """The iopub messages answering msg_id, up to its idle status."""
        out = []
        deadline = time.time() + timeout
        while True:
            m = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
            validate_message(m)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            out.append(m)
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return out

    def reply(self, msg_id, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while True:
            m = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.time()))
            if m["parent_header"].get("msg_id") == msg_id:
                # The validator knows "abort"; ipykernel and the spec say "aborted".
                if m["content"].get("status") != "aborted":
                    validate_message(m)
                return m

    def run(self, code, timeout=TIMEOUT, **kw):
        msg_id = self.kc.execute(code, **kw)
        reply = self.reply(msg_id, timeout)
        outputs = [m for m in self.collect(msg_id, timeout) if m["msg_type"] != "status"]
        return reply, outputs

    def value(self, code):
        reply, outputs = self.run(code)
        assert reply["content"]["status"] == "ok", (code, reply["content"])
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        return results[-1]["content"]["data"]["text/plain"] if results else None


def streams(outputs, name=None):
    return "".join(
        m["content"]["text"]
        for m in outputs
        if m["msg_type"] == "stream" and (name is None or m["content"]["name"] == name)
    )


class KernelBehaviour(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Session()

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_interrupt_stops_python_and_keeps_the_session(self):
        s = self.s
        s.value("(def kept 41)")
        msg_id = s.kc.execute('(py-exec "import time; time.sleep(30)")')
        time.sleep(0.5)
        started = time.time()
        s.km.interrupt_kernel()
        reply = s.reply(msg_id, timeout=10)
        self.assertLess(time.time() - started, 5)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        s.collect(msg_id)
        self.assertEqual(s.value("(inc kept)"), "42")

    def test_interrupt_stops_a_lisp_loop(self):
        s = self.s
        msg_id = s.kc.execute("(loop [i 0] (recur (inc i)))")
        time.sleep(0.5)
        s.km.interrupt_kernel()
        reply = s.reply(msg_id, timeout=10)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        s.collect(msg_id)
        self.assertEqual(s.value("(+ 1 1)"), "2")

    def test_interrupt_request_message_works_too(self):
        s = self.s
        msg_id = s.kc.execute('(py-exec "import time; time.sleep(30)")')
        time.sleep(0.5)
        req = s.kc.session.msg("interrupt_request", {})
        s.kc.control_channel.send(req)
        reply = s.reply(msg_id, timeout=10)
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        s.collect(msg_id)

    def test_interrupt_while_idle_is_harmless(self):
        s = self.s
        s.km.interrupt_kernel()
        time.sleep(0.3)
        self.assertEqual(s.value("(* 6 7)"), "42")

    def test_streams_arrive_while_the_cell_runs(self):
        s = self.s
        msg_id = s.kc.execute(
            '(println "first") (py-exec "import time; time.sleep(1.2)") (println "second")'
        )
        first = s.kc.get_iopub_msg(timeout=TIMEOUT)
        while first["msg_type"] != "stream":
            first = s.kc.get_iopub_msg(timeout=TIMEOUT)
        arrived = time.time()
        reply = s.reply(msg_id)
        self.assertEqual(first["content"]["text"], "first\n")
        self.assertGreater(time.time() - arrived, 0.8, "the first line came only at the end")
        self.assertEqual(reply["content"]["status"], "ok")
        s.collect(msg_id)

    def test_lisp_and_python_output_keep_program_order(self):
        reply, outputs = self.s.run(
            '(println "a") (py-exec "print(\'b\')") (print "c") (py-exec "print(\'d\', end=\'\')")'
            ' (println "e") (py-exec "import sys; sys.stdout.flush()") 7'
        )
        self.assertEqual(streams(outputs, "stdout"), "a\nb\ncde\n")
        kinds = [m["msg_type"] for m in outputs]
        self.assertEqual(kinds[-1], "execute_result", kinds)
        self.assertEqual(kinds[0], "execute_input")

    def test_a_failed_cell_aborts_the_queued_ones(self):
        s = self.s
        # The first cell takes a while, so all four are sent before the failure even on a
        # loaded machine (a cell sent after the failure is the user's next one: not aborted).
        first = '(do (py-exec "import time; time.sleep(0.4)") (def z 1))'
        ids = [s.kc.execute(c) for c in (first, "(/ 1 0)", "(def z 2)", "(def z 3)")]
        replies = [s.reply(i) for i in ids]
        statuses = [r["content"]["status"] for r in replies]
        self.assertEqual(statuses, ["ok", "error", "aborted", "aborted"])
        for i in ids:
            s.collect(i)
        # The next cell the user runs is not aborted.
        self.assertEqual(s.value("z"), "1")

    def test_stop_on_error_false_runs_on(self):
        s = self.s
        a = s.kc.execute("(/ 1 0)", stop_on_error=False)
        b = s.kc.execute("(def after-error 5)")
        self.assertEqual(s.reply(a)["content"]["status"], "error")
        self.assertEqual(s.reply(b)["content"]["status"], "ok")
        s.collect(a)
        s.collect(b)

    def test_execution_count_counts_stored_cells_only(self):
        s = self.s
        n = s.run("1")[0]["content"]["execution_count"]
        s.run("(def quiet 1)", silent=True)
        s.run("2", store_history=False)
        self.assertEqual(s.run("3")[0]["content"]["execution_count"], n + 1)

    def test_silent_cells_show_nothing(self):
        reply, outputs = self.s.run('(println "x") 5', silent=True)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertFalse([m for m in outputs if m["msg_type"] in ("execute_input", "execute_result")])

    def test_errors_carry_the_class_the_message_and_the_lisp_span(self):
        reply, outputs = self.s.run('(defn f [x] (/ x 0))\n(f 1)')
        c = reply["content"]
        self.assertEqual((c["ename"], c["evalue"]), ("ZeroDivisionError", "division by zero"))
        errors = [m for m in outputs if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        tb = "\n".join(errors[0]["content"]["traceback"])
        self.assertIn("(/ x 0)", tb)
        self.assertIn("cell[", tb)
        # Plain text: no box-drawing characters.
        self.assertFalse(any(ch in tb for ch in "╭│─╰"), tb)

    def test_python_errors_show_python_frames(self):
        reply, outputs = self.s.run(
            '(py-exec "def boom():\\n    raise ValueError(\'bad value\')") (py-eval "boom()")'
        )
        c = reply["content"]
        self.assertEqual((c["ename"], c["evalue"]), ("ValueError", "bad value"))
        self.assertIn("boom", "\n".join(c["traceback"]))

    def test_input_asks_the_front_end(self):
        s = self.s
        msg_id = s.kc.execute('(py-eval "input(\'name? \')")', allow_stdin=True)
        req = s.kc.get_stdin_msg(timeout=TIMEOUT)
        # (The validator wants `password` to be a number; the spec and ipykernel send a bool.)
        self.assertEqual(req["msg_type"], "input_request")
        self.assertEqual(req["parent_header"]["msg_id"], msg_id)
        self.assertEqual(req["content"], {"prompt": "name? ", "password": False})
        s.kc.input("Ada")
        reply = s.reply(msg_id)
        self.assertEqual(reply["content"]["status"], "ok")
        outputs = s.collect(msg_id)
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(results[0]["content"]["data"]["text/plain"], '"Ada"')

    def test_interrupt_while_waiting_for_input(self):
        s = self.s
        msg_id = s.kc.execute('(py-eval "input()")', allow_stdin=True)
        s.kc.get_stdin_msg(timeout=TIMEOUT)
        s.km.interrupt_kernel()
        reply = s.reply(msg_id, timeout=10)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        s.collect(msg_id)
        self.assertEqual(s.value("(+ 1 1)"), "2")

    def test_input_without_stdin_is_a_clear_error(self):
        reply, _ = self.s.run('(py-eval "input()")', allow_stdin=False)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("StdinNotImplementedError", "\n".join(reply["content"]["traceback"]))
        # Called from the Lisp: the traceback points at the cell's call.
        reply, _ = self.s.run('(def b ($py "builtins"))\n(b.input "x? ")', allow_stdin=False)
        tb = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(reply["content"]["traceback"]))
        self.assertIn("StdinNotImplementedError", tb)
        self.assertRegex(tb, r"cell\[\d+\]:2:1\]")
        self.assertNotIn("<prelude>", tb)

    def test_matplotlib_figures_show_as_png_without_show(self):
        s = self.s
        reply, outputs = s.run(
            '(def plt ($py "matplotlib.pyplot")) (plt.plot [1 4 9 16]) (plt.title "squares") nil'
        )
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        pngs = [m for m in outputs if m["msg_type"] == "display_data" and "image/png" in m["content"]["data"]]
        self.assertEqual(len(pngs), 1, [m["msg_type"] for m in outputs])
        self.assertTrue(base64.b64decode(pngs[0]["content"]["data"]["image/png"]).startswith(b"\x89PNG"))
        self.assertEqual(s.value("(count (plt.get-fignums))"), "0")

    def test_a_figure_as_the_result_is_its_png(self):
        reply, outputs = self.s.run(
            '(def plt ($py "matplotlib.pyplot")) (let [fig (plt.figure)] (plt.plot [1 2]) fig)'
        )
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertIn("image/png", results[0]["content"]["data"])
        self.assertFalse([m for m in outputs if m["msg_type"] == "display_data"])

    def test_a_dataframe_is_an_html_table(self):
        out = self.s.run('(def pd ($py "pandas")) (pd.DataFrame {"a" [1 2] "b" [3 4]})')[1]
        data = [m for m in out if m["msg_type"] == "execute_result"][0]["content"]["data"]
        self.assertIn("<table", data["text/html"])
        self.assertIn("text/plain", data)

    def test_rich_reprs_are_used(self):
        s = self.s
        s.run(
            '(py-exec "import base64\\n'
            'class Pic:\\n'
            '    def _repr_png_(self): return b\'\\\\x89PNG fake\'\\n'
            '    def _repr_svg_(self): return \'<svg></svg>\'\\n'
            'class Both:\\n'
            '    def _repr_mimebundle_(self, include=None, exclude=None):\\n'
            '        return {\'text/markdown\': \'**b**\', \'text/plain\': \'both\'}\\n'
            'class Latex:\\n'
            '    def _repr_latex_(self): return \'$x^2$\'\\n")'
        )
        data = self._result('(py-eval "Pic()")')
        self.assertEqual(base64.b64decode(data["image/png"]), b"\x89PNG fake")
        self.assertEqual(data["image/svg+xml"], "<svg></svg>")
        data = self._result('(py-eval "Both()")')
        self.assertEqual((data["text/markdown"], data["text/plain"]), ("**b**", "both"))
        self.assertEqual(self._result('(py-eval "Latex()")')["text/latex"], "$x^2$")

    def _result(self, code):
        reply, out = self.s.run(code)
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        return [m for m in out if m["msg_type"] == "execute_result"][0]["content"]["data"]

    def test_displays_can_be_updated(self):
        reply, out = self.s.run(
            '(display "step 1" :id "progress") (println "working") (update-display "step 2" :id "progress")'
        )
        kinds = [m["msg_type"] for m in out]
        self.assertEqual(kinds, ["execute_input", "display_data", "stream", "update_display_data"])
        self.assertEqual(out[1]["content"]["transient"]["display_id"], "progress")
        self.assertEqual(out[3]["content"]["transient"]["display_id"], "progress")
        self.assertEqual(out[3]["content"]["data"]["text/plain"], '"step 2"')

    def test_output_is_capped_with_a_note(self):
        reply, out = self.s.run('(dotimes [i 100000] (println "0123456789"))')
        self.assertEqual(reply["content"]["status"], "ok")
        text = streams(out, "stdout")
        self.assertLessEqual(len(text), 512 * 1024)
        self.assertGreater(len(text), 500 * 1024)
        self.assertIn("output cut", streams(out, "stderr"))
        # Batched: far fewer messages than lines.
        self.assertLess(len([m for m in out if m["msg_type"] == "stream"]), 200)

    def test_completion_counts_code_points(self):
        s = self.s
        code = '(str "😀" printl'
        msg_id = s.kc.complete(code, len(code))
        reply = s.reply(msg_id)
        c = reply["content"]
        self.assertIn("println", c["matches"])
        self.assertEqual(c["cursor_end"], len(code))
        self.assertEqual(c["cursor_start"], len(code) - len("printl"))

    def test_completion_of_python_attributes(self):
        s = self.s
        s.value('(def np ($py "numpy"))')
        msg_id = s.kc.complete("(np.lins", 8)
        self.assertIn("np.linspace", s.reply(msg_id)["content"]["matches"])

    def test_inspection_of_python_values(self):
        s = self.s
        s.value('(def np ($py "numpy"))')
        msg_id = s.kc.inspect("(np.linspace 0 1)", 5)
        c = s.reply(msg_id)["content"]
        self.assertTrue(c["found"])
        self.assertIn("evenly spaced", c["data"]["text/plain"])
        # Lisp spelling of a Python name (`-` is `_`), and a name that is not there.
        s.value('(def pd ($py "pandas"))')
        c = s.reply(s.kc.inspect("(pd.read-csv", 5))["content"]
        self.assertTrue(c["found"])
        self.assertIn("comma-separated", c["data"]["text/plain"])
        c = s.reply(s.kc.inspect("(np.no-such-thing", 5))["content"]
        self.assertFalse(c["found"])

    def test_timing_is_in_the_reply_metadata(self):
        reply, out = self.s.run("(+ 1 2)")
        self.assertIn("started", reply["metadata"])
        self.assertTrue(reply["metadata"]["started"].endswith("Z"))
        self.assertFalse([m for m in out if m["msg_type"] == "stream"])

    def test_time_command_prints_the_split(self):
        reply, out = self.s.run(':time (py-eval "1 + 1")')
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertIn("python", streams(out))
        self.assertIn("1 request", streams(out))

    def test_a_bad_signature_is_dropped(self):
        import zmq

        s = self.s
        bad = jupyter_client.session.Session(key=b"not-the-key")
        ctx = zmq.Context.instance()
        sock = ctx.socket(zmq.DEALER)
        sock.connect(s.km._make_url("shell"))
        bad.send(sock, "execute_request", {"code": "(def hijacked 1)", "silent": False,
                                           "store_history": True, "user_expressions": {},
                                           "allow_stdin": False, "stop_on_error": True})
        time.sleep(0.5)
        sock.close()
        reply, _ = s.run("hijacked")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertTrue(s.kc.is_alive())

    def test_comm_open_is_closed(self):
        s = self.s
        msg = s.kc.session.msg("comm_open", {"comm_id": "c1", "target_name": "nothing", "data": {}})
        s.kc.shell_channel.send(msg)
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            m = s.kc.get_iopub_msg(timeout=TIMEOUT)
            if m["msg_type"] == "comm_close":
                self.assertEqual(m["content"]["comm_id"], "c1")
                break
        else:
            self.fail("no comm_close")


class Restart(unittest.TestCase):
    def test_restart_starts_clean_on_the_same_ports(self):
        s = Session()
        try:
            s.value("(def before-restart 1)")
            ports = dict(s.km.get_connection_info())
            started = time.time()
            s.km.restart_kernel(now=False)
            s.kc.wait_for_ready(timeout=TIMEOUT)
            self.assertLess(time.time() - started, 10)
            self.assertEqual(
                {k: v for k, v in s.km.get_connection_info().items() if k.endswith("_port")},
                {k: v for k, v in ports.items() if k.endswith("_port")},
            )
            reply, _ = s.run("before-restart")
            self.assertEqual(reply["content"]["status"], "error")
            self.assertEqual(s.value("(+ 2 2)"), "4")
        finally:
            s.close()

    def test_shutdown_ends_the_process(self):
        km, kc = jupyter_client.manager.start_new_kernel(kernel_name=KERNEL)
        kc.stop_channels()
        started = time.time()
        km.shutdown_kernel(now=False)
        self.assertFalse(km.is_alive())
        self.assertLess(time.time() - started, 5)


class Notebooks(unittest.TestCase):
    """The teaching notebooks run top to bottom, as "Run All" runs them."""

    def run_notebook(self, path):
        nb = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(
            nb, kernel_name=KERNEL, timeout=120, record_timing=True, allow_errors=False
        )
        client.execute()
        return nb

    def test_every_notebook_runs(self):
        paths = sorted(glob.glob(os.path.join(ROOT, "examples", "notebooks", "*.ipynb")))
        self.assertGreaterEqual(len(paths), 3)
        kinds = {}
        for path in paths:
            with self.subTest(notebook=os.path.basename(path)):
                nb = self.run_notebook(path)
                self.assertEqual(nb.metadata.language_info.name, "polyglot")
                self.assertEqual(nb.metadata.language_info.pygments_lexer, "clojure")
                for cell in nb.cells:
                    if cell.cell_type != "code":
                        continue
                    self.assertIn("shell.execute_reply", cell.metadata.execution)
                    for o in cell.outputs:
                        self.assertNotEqual(o.output_type, "error", o)
                        for mime in o.get("data", {}):
                            kinds.setdefault(os.path.basename(path), set()).add(mime)
        self.assertIn("image/png", kinds.get("02-numpy-matplotlib.ipynb", set()))
        self.assertIn("text/html", kinds.get("03-pandas.ipynb", set()))


if __name__ == "__main__":
    unittest.main()
