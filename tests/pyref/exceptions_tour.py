# Exceptions: user-defined hierarchies with attributes, catching by base class, re-raising,
# args, chaining, and exceptions crossing between the caller and library code.
class AppError(Exception):
    """Base class for this application's errors."""


class ValidationError(AppError):
    def __init__(self, field, reason):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(AppError, LookupError):
    def __init__(self, key):
        super().__init__(key)
        self.key = key


def check_age(value):
    if not isinstance(value, int):
        raise ValidationError("age", "not an integer")
    if value < 0:
        raise ValidationError("age", "negative")
    return value


def lookup(table, key):
    if key not in table:
        raise NotFound(key)
    return table[key]


for candidate in [30, -1, "x"]:
    try:
        print("ok", check_age(candidate))
    except AppError as e:
        print("AppError caught:", type(e).__name__, e.field, e.reason, e.args)

try:
    lookup({"a": 1}, "b")
except LookupError as e:
    print("as LookupError:", type(e).__name__, e.key, e.args)

print(issubclass(NotFound, AppError), isinstance(NotFound("k"), LookupError))


def audited(f, *args):
    try:
        return f(*args)
    except AppError as e:
        print("  audit saw", type(e).__name__)
        raise


try:
    audited(check_age, -5)
except ValidationError as e:
    print("re-raised reached top:", e)

try:
    raise ValueError("x")
except ValueError as e:
    print("ValueError", e.args, str(e))


def python_catches(f):
    try:
        f()
    except ValueError as e:
        return "python caught " + repr(e)
    return "nothing raised"


def raise_value():
    raise ValueError("from the caller")


print(python_catches(raise_value))
print(python_catches(lambda: None))

e = KeyError("k", 2)
print(e.args, len(e.args), repr(e))

try:
    try:
        {}["missing"]
    except KeyError as inner:
        raise RuntimeError("wrapped") from inner
except RuntimeError as outer:
    print(type(outer).__name__, outer, "cause:", repr(outer.__cause__))

results = []
for f in [lambda: 1 / 0, lambda: int("q"), lambda: [][1], lambda: "fine"]:
    try:
        results.append(f())
    except (ZeroDivisionError, IndexError) as e:
        results.append(type(e).__name__)
    except Exception as e:
        results.append("other " + type(e).__name__)
    finally:
        results.append("|")
print(results)
