# datetime and timedelta arithmetic.
import datetime

dt = datetime.datetime
td = datetime.timedelta
date = datetime.date

d1 = dt(2024, 1, 15, 9, 30)
d2 = dt(2024, 3, 1, 17, 45, 30)
print(d1, "->", d2)
delta = d2 - d1
print(delta)
print(delta.days, delta.seconds, delta.total_seconds())
print(d1 + td(days=10, hours=3))
print(d1 - td(weeks=2))
print(td(minutes=90) + d1)
print(td(hours=1, minutes=30) * 3)
print(td(days=1) / td(hours=6))
print(td(days=1) / 4)
print(td(days=1) // td(hours=7))
print(td(days=1) % td(hours=7))
print(td(seconds=-1))
print(-td(hours=1))
print("d1 is earlier" if d1 < d2 else "d1 is later")
print("24h == 1 day" if td(hours=24) == td(days=1) else "24h != 1 day")

leap = date(2024, 2, 28)
print(leap + td(days=1), leap + td(days=2))
print((date(2025, 1, 1) - date(2024, 1, 1)).days)
print(date(2024, 12, 25).strftime("%A %d %B %Y"))
print(date(2024, 12, 25).isoformat())
print(leap.replace(year=2023))
print(d1.isoformat(), d1.weekday(), d1.month)
print(dt.fromisoformat("2024-05-06T07:08:09"))
print(dt.strptime("03/04/2021 10:20", "%d/%m/%Y %H:%M").date())
for i in range(3):
    print("day", i, leap + td(days=7 * i))
