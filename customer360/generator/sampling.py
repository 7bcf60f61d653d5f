"""Small, fast weighted draws from a ``random.Random`` shared by the whole run.

``random.choices`` rebuilds its cumulative weights on every call unless given them, and then
still costs more per call than one ``random()`` plus a C-level ``bisect``; a million-person run
makes tens of millions of these draws, so the cumulative table is built once per distribution.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """A fixed discrete distribution over ``values`` with relative ``weights``."""

    __slots__ = ("_values", "_cumulative", "_total")

    def __init__(self, values: Sequence[T], weights: Sequence[float]) -> None:
        if len(values) != len(weights) or not values:
            raise ValueError("values and weights must be non-empty and of the same length")
        self._values = tuple(values)
        self._cumulative = list(accumulate(weights))
        self._total = self._cumulative[-1]

    def draw(self, rng: random.Random) -> T:
        return self._values[bisect_right(self._cumulative, rng.random() * self._total)]

    def draw_index(self, rng: random.Random) -> int:
        return bisect_right(self._cumulative, rng.random() * self._total)


def stochastic_round(rng: random.Random, expected: float) -> int:
    """An integer whose mean is ``expected``: the floor, plus one with the fractional chance."""
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)
