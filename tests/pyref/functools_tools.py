# functools: reduce, partial, lru_cache (on Python and on plain functions), cmp_to_key.
import functools
import operator

print(functools.reduce(operator.mul, [1, 2, 3, 4, 5]))
print(functools.reduce(lambda acc, x: acc * 10 + x, [1, 2, 3], 0))
print(functools.reduce(operator.add, ["a", "b", "c"], ">"))
print(functools.reduce(lambda a, b: a + b, range(101)))

from_binary = functools.partial(int, base=2)
print(from_binary("1011"), from_binary("11111111"))
print(from_binary.keywords)
power_of_two = functools.partial(operator.pow, 2)
print(power_of_two(10), power_of_two.args)
shout = functools.partial("{}! {}!".format, "hey")
print(shout("you"))

from functools import lru_cache


@lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


print(fib(80))
print(fib.cache_info())
fib.cache_clear()
print(fib.cache_info())
print(list(map(fib, range(12))))
print(fib.cache_info())

square = functools.lru_cache(maxsize=2)(lambda x: x * x)
print(square(4), square(4), square(5), square(6), square(4))
print(square.cache_info())

print(sorted([3, 1, 2], key=functools.cmp_to_key(lambda a, b: b - a)))
print(sorted(["bb", "a", "ccc"], key=len, reverse=True))
