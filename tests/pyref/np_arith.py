# NumPy arithmetic: elementwise operators, matrix products, reductions, broadcasting.
import numpy as np

a = np.array([20, 30, 40, 50])
b = np.arange(4)
print(a - b)
print(b ** 2)
print(np.round(10 * np.sin(a), 4))
print(a < 35)
print(a / 8)
print(a // 7)
print(a % 7)
print(1 + a)
print(2.5 * b)

A = np.array([[1, 1], [0, 1]])
B = np.array([[2, 0], [3, 4]])
print(A * B)
print(A @ B)
print(A.dot(B))

print(np.array([12, 10]) & np.array([10, 6]))
print(np.array([12, 10]) | np.array([10, 6]))
print(np.array([12, 10]) ^ np.array([10, 6]))
print(~np.array([0, 1, 2]))
print(np.array([1, 2, 3]) << 2)
print(np.array([16, 32, 64]) >> 3)

# broadcasting
m = np.arange(12).reshape(3, 4)
print(m + np.array([10, 20, 30, 40]))
print(m + np.array([100, 200, 300]).reshape(3, 1))
print(np.arange(3).reshape(3, 1) * np.arange(4))
print(m - m.mean(axis=0))

# reductions
print(m.sum(), m.min(), m.max(), m.mean())
print(m.sum(axis=0))
print(m.cumsum(axis=1))
print(np.mean(m, axis=1))
print(np.sqrt(b))
print((np.ones(3, dtype=np.int32) + np.linspace(0, 1, 3)).dtype)
