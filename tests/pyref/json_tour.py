# json: encoding options, a default hook for unknown types, decoding, and decode errors.
import json
import datetime
import decimal

data = {"name": "widget", "tags": ["a", "b"], "price": 9.99, "stock": None, "ok": True}
print(json.dumps(data))
print(json.dumps(data, sort_keys=True))
print(json.dumps(data, sort_keys=True, indent=3))
print(json.dumps(data, separators=(",", ":")))
print(json.dumps([1, [2, [3]]], indent="\t"))
print(json.dumps({"b": 1, "a": 2}, sort_keys=True, separators=(";", "=")))

def encode_extra(obj):
    if isinstance(obj, datetime.date):
        return obj.isoformat()
    if isinstance(obj, decimal.Decimal):
        return str(obj)
    if isinstance(obj, set):
        return sorted(obj)
    raise TypeError(f"cannot encode {type(obj).__name__}")

extra = {"when": datetime.date(2024, 2, 29), "cost": decimal.Decimal("1.10"), "ids": {3, 1, 2}}
print(json.dumps(extra, default=encode_extra, sort_keys=True))
try:
    json.dumps({"x": object()}, default=encode_extra)
except TypeError as e:
    print("TypeError:", e)
try:
    json.dumps({"x": {1, 2}})
except TypeError as e:
    print("plain dumps refuses:", type(e).__name__)

decoded = json.loads('{"n": [1, 2.0, -3e2], "s": "caf\\u00e9", "t": true, "z": null}')
print(decoded)
print(type(decoded["n"][1]).__name__, decoded["n"][2], decoded["s"], decoded["z"] is None)
print(json.loads("[1, 2]", parse_int=str))
print(json.loads('{"a": 1, "b": 2}', object_pairs_hook=list))
print(json.loads('"just a string"'), json.loads("3.25"))

for text in ['{"a": 1,}', "[1, 2", "nul", ""]:
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        print(repr(text), "->", e.msg, "line", e.lineno, "col", e.colno, "pos", e.pos)

print(json.dumps(json.loads('{"k": [1, {"deep": [true]}]}'), indent=2))
