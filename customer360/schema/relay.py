"""Relay's connection shape, written once: every paged list is a ``Connection[T]``.

Strawberry names a specialised generic after its argument, so ``Connection[Person]`` is the
``PersonConnection`` clients see and ``Edge[Person]`` is ``PersonEdge``. The ``Node``
interface is here too: anything with an ``id`` that ``node(id:)`` can fetch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from customer360.resolvers.paging import ConnectionData, EdgeData, PageArgs

T = TypeVar("T")


@strawberry.interface(description="Anything that can be fetched by its business key with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="The business key, e.g. P0000001 or ACC00000001.")


@strawberry.type(description="Where a page starts and ends, and whether pages lie before and after it.")
class PageInfo:
    has_previous_page: bool = strawberry.field(description=(
        "Paging backward: more items lie before this page. Paging forward: true when the page "
        "started after a cursor."
    ))
    has_next_page: bool = strawberry.field(description=(
        "Paging forward: more items lie after this page. Paging backward: true when the page "
        "ended before a cursor."
    ))
    start_cursor: str | None = strawberry.field(description="The first edge's cursor: pass it as 'before'.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor: pass it as 'after'.")

    @classmethod
    def of(cls, data: ConnectionData) -> "PageInfo":
        return cls(has_previous_page=data.has_previous, has_next_page=data.has_next,
                   start_cursor=data.start_cursor, end_cursor=data.end_cursor)


First = Annotated[int | None, strawberry.argument(description=(
    "Page forward: this many items after 'after' (default 20; at most the server's maximum page "
    "size, 500 by default)."
))]
After = Annotated[str | None, strawberry.argument(description="Start after this cursor (an edge's cursor or pageInfo.endCursor).")]
Last = Annotated[int | None, strawberry.argument(description=(
    "Page backward: this many items before 'before' (at most the server's maximum page size)."
))]
Before = Annotated[str | None, strawberry.argument(description="End before this cursor (pageInfo.startCursor).")]


def page_args(first: int | None, after: str | None, last: int | None, before: str | None) -> PageArgs:
    return PageArgs(first=first, after=after, last=last, before=before)


@strawberry.type(description="One item of a page, with the cursor to continue after it.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    data: strawberry.Private[EdgeData]

    @strawberry.field(description="Where this item sits: pass it as 'after' (or 'before') to page from here.")
    def cursor(self) -> str:
        return self.data.cursor


@strawberry.type(description="A page of items (Relay connection): pass pageInfo.endCursor as 'after' for the next.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's items, each with its cursor.")
    page_info: PageInfo = strawberry.field(description="Where the page sits: cursors, and whether more lie either side.")
    total_count: int | None = strawberry.field(description="All matching items, ignoring the page.")


def connection_of(data: ConnectionData, node: Callable[[Any], T]) -> Connection[T]:
    """A connection whose nodes are ``node(record)`` for each record of the page."""
    return Connection(
        edges=[Edge(node=node(edge.node), data=edge) for edge in data.edges],
        page_info=PageInfo.of(data),
        total_count=data.total,
    )
