# 1-D and 2-D indexing, slicing and iterating.
import numpy as np

a = np.arange(10) ** 3
print(a)
print(a[2], a[-1])
print(a[2:5])
print(a[:6:2])
print(a[::-1])
print(a[-3:])
a[:6:2] = 1000
print(a)
for x in a[0:3]:
    print("twice", x * 2)
try:
    print(a[42])
except IndexError:
    print("out of range")


def f(x, y):
    return 10 * x + y


b = np.fromfunction(f, [5, 4], dtype=int)
print(b)
print(b[2, 3])
print(b[0:5, 1])
print(b[:, 1])
print(b[1:3, :])
print(b[-1])
print(b[-1, ::2])
print(b[[0, 2, 4]])
print(b[[0, 1, 4], [1, 2, 3]])
print(len(b))
for row in b[0:2]:
    print("row", row)

c = np.array([[[0, 1, 2], [10, 12, 13]], [[100, 101, 102], [110, 112, 113]]])
print(c.shape)
print(c[1, ...])
print(c[..., 2])
c[0, 1, 2] = -1
print(c[0])

lst = [10, 20, 30, 40, 50]
print(lst[1:4], lst[-2])
lst[0] = 99
print(lst)
