"""Relay pagination, both ways: ``first``/``after`` forward and ``last``/``before`` backward.

Keyset pages are symmetric: the page before a cursor is the page after it in the reversed
order, read back to front. So a backward request asks the store for the same step with its
order reversed, and :func:`connection_data` turns the rows round again; the stores and
emitters only ever page forward, and the same per-parent batching serves both directions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from customer360.graphstore.plan import Keyset, Page
from customer360.resolvers.cursors import decode_cursor, encode_cursor
from customer360.resolvers.errors import UserError


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What the store is asked for: ``limit`` rows past ``keyset`` in the (maybe reversed) order."""

    limit: int
    keyset: Keyset | None
    backward: bool = False


@dataclass(slots=True)
class EdgeData:
    """One item of a page; its cursor is only encoded if a client asks for it."""

    ordering: str
    keyset: Keyset
    node: Any

    @property
    def cursor(self) -> str:
        return encode_cursor(self.ordering, self.keyset)


@dataclass(frozen=True, slots=True)
class ConnectionData:
    """A page as Relay shows it: edges in the connection's own order, and where it ends."""

    edges: list[EdgeData]
    has_next: bool
    has_previous: bool
    total: int | None

    @property
    def start_cursor(self) -> str | None:
        return self.edges[0].cursor if self.edges else None

    @property
    def end_cursor(self) -> str | None:
        return self.edges[-1].cursor if self.edges else None


@dataclass(frozen=True, slots=True)
class PageArgs:
    """A connection's four arguments, as the client sent them."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


def page_request(field: str, ordering: str, args: PageArgs, max_page_size: int, default_page_size: int) -> PageRequest:
    """Check a connection's four arguments (errors name the field and the argument)."""
    first, after, last, before = args.first, args.after, args.last, args.before
    if first is not None and last is not None:
        raise UserError(f"{field}: pass 'first' (with 'after') or 'last' (with 'before'), not both")
    if last is not None or before is not None:
        if after is not None:
            raise UserError(f"{field}: argument 'after' goes with 'first'; page backward with 'last' and 'before'")
        size = default_page_size if last is None else last
        _check_size(field, "last", size, max_page_size)
        return PageRequest(size, decode_cursor(field, ordering, before, "before"), backward=True)
    size = default_page_size if first is None else first
    _check_size(field, "first", size, max_page_size)
    return PageRequest(size, decode_cursor(field, ordering, after, "after"))


def _check_size(field: str, argument: str, size: int, max_page_size: int) -> None:
    if size < 0 or size > max_page_size:
        raise UserError(f"{field}: argument '{argument}' must be between 0 and {max_page_size}, got {size}")


def connection_data(ordering: str, page: Page, request: PageRequest) -> ConnectionData:
    """The store's page as a connection: backward pages are read back to front."""
    edges = [EdgeData(ordering, keyset, row) for keyset, row in zip(page.keysets, page.rows)]
    if request.backward:
        edges.reverse()
        # rows beyond 'last' lie before this page; the 'before' cursor's own row lies after it
        return ConnectionData(edges, has_next=request.keyset is not None, has_previous=page.has_next,
                              total=page.total)
    return ConnectionData(edges, has_next=page.has_next, has_previous=request.keyset is not None, total=page.total)
