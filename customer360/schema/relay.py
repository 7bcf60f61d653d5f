"""Relay's connection shape, written once: every paged list is a ``Connection[T]``.

Strawberry names a specialised generic after its argument, so ``Connection[Person]`` is the
``PersonConnection`` clients see and ``Edge[Person]`` is ``PersonEdge``. The ``Node``
interface is here too: anything with an ``id`` that ``node(id:)`` can fetch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from customer360.resolvers.graph import ConnectionData

T = TypeVar("T")


@strawberry.interface(description="Anything that can be fetched by its business key with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="The business key, e.g. P0000001 or ACC00000001.")


@strawberry.type(description="Where a page ends and whether another follows.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, data: ConnectionData) -> "PageInfo":
        return cls(has_next_page=data.has_next, end_cursor=data.end_cursor)


@strawberry.type(description="One item of a page, with the cursor to continue after it.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of items (Relay connection): pass pageInfo.endCursor as 'after' for the next.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int | None = strawberry.field(description="All matching items, ignoring the page.")


def connection_of(data: ConnectionData, node: Callable[[Any], T]) -> Connection[T]:
    """A connection whose nodes are ``node(record)`` for each record of the page."""
    return Connection(
        edges=[Edge(cursor=cursor, node=node(record)) for cursor, record in data.edges],
        page_info=PageInfo.of(data),
        total_count=data.total,
    )
