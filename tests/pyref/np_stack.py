# Changing shape and joining arrays: reshape, ravel, transpose, stacking, splitting.
import numpy as np

c = np.arange(12)
print(c.reshape(3, 4))
print(c.reshape(2, -1))
print(c.reshape(2, 3, 2).shape)
print(c.reshape(3, 4).T)
print(c.reshape(3, 4).ravel())
print(np.reshape(c, [4, 3], order="F"))

a = np.array([[1, 2], [3, 4]])
b = np.array([[5, 6], [7, 8]])
print(np.vstack([a, b]))
print(np.hstack([a, b]))
print(np.concatenate([a, b], axis=0))
print(np.concatenate([a, b], axis=1))
print(np.concatenate([a, b], axis=None))
print(np.stack([a, b]))
print(np.stack([a, b], axis=2).shape)

u = np.array([1, 2, 3])
v = np.array([4, 5, 6])
print(np.hstack([u, v]))
print(np.vstack([u, v]))
print(np.column_stack([u, v]))
print(u[:, np.newaxis])
print(u[np.newaxis, :].shape)

for part in np.hsplit(np.arange(12).reshape(2, 6), 3):
    print(part)
for part in np.array_split(np.arange(7), 3):
    print("part", part)
print(len(np.vsplit(np.arange(16).reshape(4, 4), 2)))
