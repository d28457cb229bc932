# itertools: infinite counters, slicing, grouping, running totals and combinatorics.
import itertools
import operator

print(list(itertools.islice(itertools.count(5, 3), 4)))
print(list(itertools.islice("ABCDEFG", 2, None, 2)))
print(list(itertools.takewhile(lambda x: x < 10, itertools.count(1, 4))))
print(list(itertools.dropwhile(lambda x: x < 3, [1, 4, 2, 5])))

for key, group in itertools.groupby("AAAABBBCCDAABBB"):
    items = list(group)
    print(key, len(items), "".join(items))

words = ["apple", "avocado", "banana", "blueberry", "cherry", "apricot"]
for first, group in itertools.groupby(words, key=lambda w: w[0]):
    print(first, "->", ", ".join(group))

print(list(itertools.accumulate([1, 2, 3, 4, 5])))
print(list(itertools.accumulate([1, 2, 3, 4, 5], operator.mul)))
print(list(itertools.accumulate([3, 1, 4, 1, 5, 9, 2], max)))
print(list(itertools.accumulate([1, 2, 3], initial=100)))

print(list(itertools.chain("ab", [1, 2], (3.5,))))
print(list(itertools.chain.from_iterable([[1, 2], [3], []])))

print(list(itertools.product("ab", [0, 1])))
print(len(list(itertools.product(range(3), repeat=3))))
print(list(itertools.permutations("abc", 2)))
print(["".join(p) for p in itertools.permutations("xyz")])
print(list(itertools.combinations(range(4), 2)))
print(list(itertools.zip_longest("abc", [1], fillvalue="-")))
print(list(itertools.repeat("hi", 3)))
print(list(itertools.islice(itertools.cycle([1, 2]), 5)))
print(list(itertools.starmap(pow, [(2, 5), (3, 2)])))

total = 0
for a, b in itertools.product([1, 2], [10, 20]):
    total += a * b
print(total)
