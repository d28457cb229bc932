# collections.Counter: counting, most_common, and multiset arithmetic.
import collections

words = "the cat and the hat and the bat".split()
c = collections.Counter(words)
print(c)
print(c.most_common(2))
print(c.most_common())
print(c["the"], c["dog"])
print(len(c), c.total())
print("has cat" if "cat" in c else "no cat")
print(sorted(c.elements()))

d = collections.Counter({"a": 3, "b": 1})
e = collections.Counter(a=1, b=2, c=5)
print(d + e)
print(d - e)
print(e - d)
print(d & e)
print(d | e)
print(-collections.Counter(x=2, y=-4))

d.update(["a", "a", "z"])
print(d)
d.subtract({"a": 10})
print(d)
d["q"] = 7
del d["b"]
print(d)
print(collections.Counter("abracadabra") - collections.Counter("alakazam"))
print(collections.Counter("mississippi").most_common(3))
print("anagrams" if collections.Counter("listen") == collections.Counter("silent") else "not anagrams")
