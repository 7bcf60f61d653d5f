"""One way to cut a page: every store and every paged step assembles its pages here.

Emitters ask their backend for ``first + 1`` rows past the cursor; the extra row only tells
that a next page exists. Cutting, ``has_next``, the keysets that cursors are made from and
the total (which ignores the cursor, as Relay's ``totalCount`` does) are decided once, so the
two stores cannot disagree about where a page ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from customer360.graphstore.plan import Keyset, Page

Row = TypeVar("Row")


def page_of(
    rows: Iterable[Row],
    first: int | None,
    record: Callable[[Row], Any],
    keyset: Callable[[Row], Keyset],
    total: int | None = None,
) -> Page:
    """The page of ``rows`` (past the cursor, in page order; ``first=None``: no limit)."""
    page = Page(rows=[], total=total)
    for index, row in enumerate(rows):
        if first is not None and index >= first:
            page.has_next = True
            break
        page.rows.append(record(row))
        page.keysets.append(keyset(row))
    return page


def empty_pages(keys: Iterable[str], with_total: bool) -> dict[str, Page]:
    """A page per source key, for sources the backend found nothing for."""
    return {key: Page(rows=[], total=0 if with_total else None) for key in keys}
