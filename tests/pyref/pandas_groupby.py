# pandas: split-apply-combine with groupby.
import pandas as pd

df = pd.DataFrame(
    {
        "city": ["Oslo", "Lima", "Oslo", "Pune", "Lima", "Oslo"],
        "kind": ["tea", "tea", "coffee", "tea", "coffee", "tea"],
        "sales": [120, 80, 200, 50, 90, 30],
        "units": [3, 2, 5, 1, 2, 1],
    }
)
print(df)

by_city = df.groupby("city")[["sales", "units"]]
print(by_city.sum())
print(by_city.mean())
print(df.groupby("city").size())
print(df.groupby("city")["sales"].max())
print(df.groupby("city")["units"].mean())
print(df.groupby(["city", "kind"])["sales"].sum())
print(df.groupby("kind").agg({"sales": "sum", "units": "mean"}))

for pair in df.groupby("city"):
    name = pair[0]
    group = pair[1]
    print(name, len(group), group["sales"].sum())

totals = by_city.sum()["sales"].to_dict()
print(totals)
print(totals["Oslo"])

df["revenue"] = df["sales"] * df["units"]
print(df.groupby("kind", as_index=False).agg(total=pd.NamedAgg("revenue", "sum")))
print(df.groupby("city")["revenue"].sum())
