"""A plan step compiled for one backend: what to send, and how to read what comes back.

Each backend's emitter returns one of these per step, with the decoder for that very query
beside it, so the result's shape travels with the query that produced it and a store's read
methods are all the same two lines: send ``query``, hand the answer to ``decode``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Query = TypeVar("Query")
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class Compiled(Generic[Query, Result]):
    """``query`` is ``None`` when there is nothing to ask (no keys): ``decode([])`` answers."""

    query: Query | None
    decode: Callable[[list[Any]], Result]

    def answer_without_asking(self) -> Result:
        return self.decode([])
