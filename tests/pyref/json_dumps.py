# json: dumps with sort_keys, indent, separators, ensure_ascii; loads and round trips.
import json

person = {"name": "Ada", "langs": ["lisp", "python"], "born": 1815, "active": True, "spouse": None,
          "scores": {"math": 9.5, "poetry": 7}}
print(json.dumps(person))
print(json.dumps(person, sort_keys=True))
print(json.dumps(person, sort_keys=True, indent=2))
print(json.dumps(person, sort_keys=True, separators=[",", ":"]))
print(json.dumps([1, 2.5, "x", None, True, False, [], {}]))
print(json.dumps("h\u00e9llo \"quoted\""), json.dumps("h\u00e9llo", ensure_ascii=False))
print(json.dumps(123456789012345678901234567890), json.dumps(1e100), json.dumps(0.1))

ordered = dict([["zeta", 1], ["alpha", [1, 2]], ["mid", {"k": "v"}]])
print(json.dumps(ordered))
print(json.dumps(ordered, indent=4, sort_keys=True))
print(json.dumps({**ordered, "extra": 0}))
print(json.dumps({k: v for k, v in ordered.items() if k != "zeta"}))
print(json.dumps(ordered), len(ordered))

back = json.loads("{\"b\": [1, 2, {\"c\": null}], \"a\": 1.5, \"s\": \"\\u00e9\"}")
print(back)
print(back["b"], back["b"][2], back["a"])
back["new"] = [True, False]
del back["a"]
print(json.dumps(back, indent=1))
print("still has a" if "a" in back else "a removed")
print(json.dumps(json.loads(json.dumps(person)), sort_keys=True))
try:
    json.loads("{bad")
except ValueError as e:
    print(type(e).__name__)
