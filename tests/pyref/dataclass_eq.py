# dataclasses: generated __init__/__repr__/__eq__, ordering, frozen instances.
from dataclasses import dataclass, field
import dataclasses


@dataclass
class Point:
    x: int
    y: int = 0


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int = 0
    tags: tuple = field(default=(), compare=False)


def same(label, a, b):
    print(label, "equal" if a == b else "not equal", "identical" if a is b else "distinct")


p = Point(1, 2)
q = Point(x=1, y=2)
print(p, q, Point(3))
same("p q:", p, q)
same("p p:", p, p)
same("p Point(1):", p, Point(1))
same("p [1 2]:", p, [1, 2])
print("p != Point(1, 3)" if p != Point(1, 3) else "p == Point(1, 3)")
q.y = 5
print(q)
same("p q after set!:", p, q)

print(dataclasses.asdict(p))
print(dataclasses.astuple(p))
print(dataclasses.replace(p, y=10))
print(list(map(lambda f: f.name, dataclasses.fields(Point))))

v1 = Version(1, 2)
v2 = Version(1, 10, tags=["beta"])
print(v1, v2)
print("v1 < v2" if v1 < v2 else "v1 >= v2")
same("v2 vs Version(1, 10):", v2, Version(1, 10))
print(sorted([v2, Version(0, 9), v1]))
print(len({v1, Version(1, 2), Version(2)}))
try:
    v1.major = 3
except Exception as e:
    print(type(e).__name__)
print("v1 is a dataclass" if dataclasses.is_dataclass(v1) else "v1 is not a dataclass")
