# Boolean masks: comparisons, combining masks, selecting and assigning through them.
import numpy as np

a = np.arange(12).reshape(3, 4)
big = a > 4
print(big)
print(a[big])
a[big] = 0
print(a)

x = np.array([-2, -1, 0, 1, 2, 3])
mask = (x > -2) & (x < 3)
print(mask)
print(x[mask])
print(x[(x < -1) | (x > 2)])
print(x[~mask])
print(x == 1)
print(x != 1)
print("count", np.count_nonzero(mask), "sum", np.sum(mask))
print("some above 2" if np.any(x > 2) else "none above 2")
print("all above -5" if np.all(x > -5) else "not all above -5")
x[x < 0] = 0
print(x)
print(np.where(x > 1, x, -1))

y = np.linspace(0, 1, 5)
upper = y >= 0.5
y[upper] = y[upper] * 10
print(y)

m = np.arange(12).reshape(3, 4)
print(m[np.array([True, False, True]), :])
print(m[:, np.array([False, True, True, False])])
print(m[m[:, 0] > 3])
evens = m % 2 == 0
m[evens] = -1 * m[evens]
print(m)
print(m[m < 0].size)
