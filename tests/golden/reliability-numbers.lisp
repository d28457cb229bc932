;; Numbers follow Python's literal rules for `_`: only single underscores between digits.
(prn 1_000 -2_000_000 +3_0)
(prn 1_000_000_000_000_000_000_000)
(prn 1_0.2_5 1e1_0 1_000.000_1)
(prn (type-of '_1) '_1)
