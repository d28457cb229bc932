# NumPy quickstart: creating arrays and inspecting them.
import numpy as np

a = np.arange(15)
print(a)
b = a.reshape(3, 5)
print(b)
print("shape", b.shape, "ndim", b.ndim, "size", b.size)
print("dtype", b.dtype.name, "itemsize", b.itemsize)

print(np.array([2, 3, 4]))
print(np.array([[1.5, 2, 3], [4, 5, 6]]))
print(np.array([[1, 2], [3, 4]], dtype=float))
print(np.zeros([3, 4]))
print(np.ones([2, 3, 4], dtype=np.int16))
print(np.zeros(3, dtype=int), np.zeros(3, dtype=int).dtype)
print(np.full([2, 2], 7))
print(np.eye(3))

print(np.arange(10, 30, 5))
print(np.arange(0, 2, 0.3))
print(np.linspace(0, 2, 9))
x = np.linspace(0, 2 * np.pi, 5)
print(np.round(np.sin(x), 3))

c = np.arange(24)
print(c.reshape(2, 3, 4))
print(c.reshape(4, -1).shape)
print(np.arange(6).astype(float).dtype)
print(np.arange(6, dtype=np.float32))
