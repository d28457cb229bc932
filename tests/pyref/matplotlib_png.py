# matplotlib.pyplot: build a figure, plot two lines, title it, render a PNG into memory.
import io

import matplotlib.pyplot as plt
import numpy as np

x = np.linspace(0, 2 * np.pi, 50)
fig_ax = plt.subplots(figsize=[4, 3])
fig = fig_ax[0]
ax = fig_ax[1]
ax.plot(x, np.sin(x), label="sin")
ax.plot(x, np.cos(x), label="cos", linestyle="--")
ax.set_title("Waves")
ax.set_xlabel("x")
ax.set_ylabel("amplitude")
ax.legend()

print(ax.get_title(), ax.get_xlabel(), ax.get_ylabel())
print(len(ax.get_lines()))
print(list(map(lambda line: line.get_label(), ax.get_lines())))
print(fig.get_size_inches())
print(np.round(ax.get_xlim(), 3))

buf = io.BytesIO()
fig.savefig(buf, format="png", dpi=50)
png = buf.getvalue()
print(png[0:8])
print(png[1:4].decode("ascii"), png[0])
print("a non-trivial image" if len(png) > 1000 else "a tiny image")
plt.close(fig)
print(len(plt.get_fignums()))
