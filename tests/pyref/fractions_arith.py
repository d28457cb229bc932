# fractions.Fraction: exact rational arithmetic mixed with ints and floats.
import fractions
import functools
import operator

F = fractions.Fraction

a = F(1, 3)
b = F(1, 6)
print(a, b)
print(a + b, a - b, a * b, a / b)
print(a ** 2, F(2, 3) ** -2)
print(F(4, 9) ** F(1, 2))
print(a + 1, 1 + a, 2 - a, 3 * a)
print(a * 0.5)
print(-a)
print(F(7, 2) // 1, F(7, 2) % 1)
print(F(1, 2) + F(1, 3) + F(1, 6))
print(functools.reduce(operator.add, [a, b, F(1, 2)]))
print(sum([F(1, 10), F(2, 10), F(3, 10)]))

print(F("3.1415"), F("-7/21"), F(0.125))
print(F(3.141592653589793).limit_denominator(1000))
x = F(6, 8)
print(x.numerator, x.denominator, x.as_integer_ratio())
print(round(F(7, 3), 2), round(F(7, 2)))
print("1/2 == 0.5" if F(1, 2) == 0.5 else "1/2 != 0.5")
print("2/4 == 1/2" if F(2, 4) == F(1, 2) else "2/4 != 1/2")
print("1/3 < 1/6" if a < b else "1/3 >= 1/6")
print(sorted([F(3, 4), F(1, 8), 0.5, F(2, 3)]))
try:
    F(1, 0)
except ZeroDivisionError as e:
    print(e)
