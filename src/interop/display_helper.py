# Rich representations of Python objects for notebooks, as polyglot's kernel shows them.
# Loaded once per session as the module `_polyglot_display` (never into the user's namespace).
# Every function returns JSON text, so the answer crosses the bridge as one string.
import base64
import json
import sys

_TEXT_MIMES = [
    ("_repr_html_", "text/html"),
    ("_repr_markdown_", "text/markdown"),
    ("_repr_svg_", "image/svg+xml"),
    ("_repr_latex_", "text/latex"),
    ("_repr_json_", "application/json"),
    ("_repr_javascript_", "application/javascript"),
]
_BINARY_MIMES = [
    ("_repr_png_", "image/png"),
    ("_repr_jpeg_", "image/jpeg"),
    ("_repr_pdf_", "application/pdf"),
]


def _is_class(obj):
    return isinstance(obj, type)


def _method(obj, name):
    # Methods looked up on a class itself are unbound: a class shows as its repr.
    if _is_class(obj):
        return None
    try:
        m = getattr(obj, name, None)
    except Exception:
        return None
    return m if callable(m) else None


def _as_text(mime, value):
    if isinstance(value, (bytes, bytearray)):
        if mime.startswith("text/") or mime == "image/svg+xml":
            return value.decode("utf-8", "replace")
        return base64.b64encode(bytes(value)).decode("ascii")
    if mime == "application/json":
        return value
    if isinstance(value, str):
        return value
    return None


def _figure_png(fig):
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _is_figure(obj):
    mpl = sys.modules.get("matplotlib.figure")
    return mpl is not None and isinstance(obj, mpl.Figure)


def _bundle(obj):
    data, metadata = {}, {}
    if _is_figure(obj):
        try:
            data["image/png"] = _figure_png(obj)
            import matplotlib.pyplot as plt

            plt.close(obj)
        except Exception:
            pass
    m = _method(obj, "_repr_mimebundle_")
    if m is not None:
        try:
            got = m(include=None, exclude=None)
        except TypeError:
            try:
                got = m()
            except Exception:
                got = None
        except Exception:
            got = None
        if isinstance(got, tuple) and len(got) == 2:
            got, md = got
            if isinstance(md, dict):
                metadata.update(md)
        if isinstance(got, dict):
            for mime, value in got.items():
                text = _as_text(mime, value)
                if text is not None:
                    data[mime] = text
    for name, mime in _TEXT_MIMES + _BINARY_MIMES:
        if mime in data:
            continue
        m = _method(obj, name)
        if m is None:
            continue
        try:
            got = m()
        except Exception:
            continue
        if isinstance(got, tuple) and len(got) == 2:
            got, md = got
            if isinstance(md, dict):
                metadata[mime] = md
        text = _as_text(mime, got) if got is not None else None
        if text is not None:
            data[mime] = text
    if "text/plain" not in data:
        try:
            data["text/plain"] = repr(obj)
        except BaseException as e:  # a broken __repr__ still shows something
            data["text/plain"] = "<%s object (repr failed: %s)>" % (type(obj).__name__, type(e).__name__)
    return {"data": data, "metadata": metadata}


def bundle(obj):
    """The MIME bundle of obj, as JSON: {"data": {...}, "metadata": {...}}."""
    return json.dumps(_bundle(obj))


def figures():
    """Open matplotlib figures as PNG bundles (a JSON list), closing them: shown after each
    cell without plt.show(), as matplotlib-inline does."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return "[]"
    out = []
    try:
        for num in plt.get_fignums():
            fig = plt.figure(num)
            try:
                out.append({"data": {"image/png": _figure_png(fig),
                                     "text/plain": repr(fig)}, "metadata": {}})
            finally:
                plt.close(fig)
    except Exception:
        pass
    return json.dumps(out)


def inspect_text(obj, detail):
    """What inspection (Shift-Tab, ?) shows for obj: type, signature, docstring; with detail
    1 also the source where Python has it."""
    import inspect

    parts = []
    try:
        parts.append("Type:      " + type(obj).__module__ + "." + type(obj).__qualname__)
    except Exception:
        pass
    try:
        r = repr(obj)
        if len(r) > 400:
            r = r[:400] + "..."
        parts.append("Value:     " + r)
    except Exception:
        pass
    if callable(obj):
        try:
            parts.append("Signature: " + getattr(obj, "__name__", "?") + str(inspect.signature(obj)))
        except (TypeError, ValueError):
            pass
    doc = None
    try:
        doc = inspect.getdoc(obj)
    except Exception:
        pass
    if doc:
        parts.append("Docstring:\n" + doc)
    if detail:
        try:
            parts.append("Source:\n" + inspect.getsource(obj))
        except (OSError, TypeError):
            pass
    return "\n".join(parts)


def install_input(ask):
    """Routes input() and getpass.getpass() to ask(prompt, password): the kernel's stdin
    channel."""
    import builtins
    import getpass

    def input(prompt=""):
        sys.stdout.flush()
        return ask(str(prompt), False)

    def getpass_(prompt="Password: ", stream=None):
        return ask(str(prompt), True)

    builtins.input = input
    getpass.getpass = getpass_
