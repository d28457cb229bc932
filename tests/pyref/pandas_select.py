# pandas: building Series and DataFrames, selecting by label and position, new columns.
import pandas as pd

s = pd.Series([1, 3, 5, None, 6, 8])
print(s)
print(s[2], len(s))

df = pd.DataFrame(
    {"a": [1, 2, 3, 4], "b": [10.5, 20.5, 30.5, 40.5], "c": ["x", "y", "x", "z"]},
    index=["r0", "r1", "r2", "r3"],
)
print(df)
print(df.shape)
print(df["a"])
print(df[["a", "c"]])
print(df.loc["r1"])
print(df.loc["r2", "b"])
print(df.loc["r1":"r2", ["a", "b"]])
print(df.iloc[0])
print(df.iloc[0:2, 0:2])
print(df.iloc[3, 1])
print(df[df["a"] > 2])
print(df.loc[df["c"] == "x", "b"])

df["d"] = df["a"] * df["b"]
df["e"] = ["p", "q", "r", "s"]
print(df)
df.loc["r0", "a"] = 100
df.iloc[1, 0] = 200
print(df["a"])
del df["e"]
print(len(df.columns), df.columns[-1])
print(df.sort_values("b", ascending=False))
print(df.reset_index())
print(df["b"].sum(), df["a"].max())
