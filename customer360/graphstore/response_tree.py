"""The response tree: a whole query's response described as ONE backend-neutral step.

The other steps of the plan (:mod:`customer360.graphstore.plan`) each fetch rows for one
selection level, and the compiled executor builds the response from them in Python: for the
front-end's nested query that is five statements, then a thousand model objects and tens of
thousands of leaf reads. A :class:`ResponseTree` describes the response itself instead: which
vertices, reached how, in which order and how many, and which of their stored properties go
under which response key in which JSON form. A backend that can build JSON where the rows
are (SQLite's JSON functions, as PostGraphile does with PostgreSQL's) then answers the whole
query with one statement and the service only parses the result. A backend that cannot says
so (its emitter returns ``None``) and the executor goes level by level as before.

The tree holds only what the response shows, already checked: the planner
(:mod:`customer360.execution.tree`) builds it for a caller who sees every selected field in
clear and for arguments the resolvers accept, and leaves everything else to the level path.
Properties are named as they are stored (:data:`~customer360.graphstore.mapping.STORED_PROPERTIES`):
money in integer cents, times in epoch seconds, enums by their stored value.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from customer360.graphstore.plan import (
    Hop,
    Keyset,
    Order,
    PersonFilter,
    PersonOrder,
    Predicate,
    VertexLabel,
)


class Format(enum.Enum):
    """How a stored property is written into the response."""

    AS_STORED = "as_stored"
    MONEY = "money"  # integer cents -> "1234.50", as str(Decimal) writes them
    TIMESTAMP = "timestamp"  # epoch seconds -> "2024-05-01T09:30:00+00:00", as datetime.isoformat()


class Mask(enum.Enum):
    """A personal value as :mod:`customer360.auth.masking` masks it, for a caller who gets it masked."""

    SSN_FROM_LAST_FOUR = "ssn_from_last_four"  # "***-**-" and the stored last four digits
    YEAR_OF_BIRTH = "year_of_birth"  # "1972-**-**"
    HIDDEN = "hidden"  # "(masked)", whatever the value
    ZIP_PREFIX = "zip_prefix"  # the first three characters, a star for each of the rest


@dataclass(frozen=True, slots=True)
class Constant:
    """The same string in every object (``__typename``)."""

    value: str


@dataclass(frozen=True, slots=True)
class Property:
    """A stored property of the current vertex."""

    name: str
    format: Format = Format.AS_STORED


@dataclass(frozen=True, slots=True)
class Masked:
    """A stored property of the current vertex, masked."""

    name: str
    mask: Mask


@dataclass(frozen=True, slots=True)
class Joined:
    """Stored properties of the current vertex joined by ``separator`` (``Person.name``)."""

    names: tuple[str, ...]
    separator: str


@dataclass(frozen=True, slots=True)
class Enumerated:
    """A stored enum value written as its public name; ``names`` pairs every stored value with
    its name. A value outside the table stops the whole answer (the level path reports it)."""

    name: str
    names: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Nested:
    """An object over the current vertex (a connection, an edge, an edge's node)."""

    fields: Fields


@dataclass(frozen=True, slots=True)
class Linked:
    """The vertex whose business key is the current vertex's property ``via`` (``Account.owner``),
    as an object; when ``required`` and no such vertex exists, the whole answer stops."""

    label: VertexLabel
    via: str
    fields: Fields
    required: bool


@dataclass(frozen=True, slots=True)
class ByKey:
    """At the root: the vertex with business key ``key``, or null when there is none."""

    label: VertexLabel
    key: str
    fields: Fields


@dataclass(frozen=True, slots=True)
class EachOf:
    """At the root: the vertices with these business keys, one object each, in the keys'
    order (a key may come twice). The executor's level of ``keys``' parents, built at once."""

    label: VertexLabel
    keys: tuple[str, ...]
    fields: Fields


@dataclass(frozen=True, slots=True)
class Reach:
    """The vertices ``path`` reaches from the current vertex that meet ``where``, in ``order``
    then by business key (by business key alone when ``order`` is None)."""

    path: tuple[Hop, ...]
    order: Order | None
    where: tuple[Predicate, ...] = ()  # on the vertices reached

    @property
    def target(self) -> VertexLabel:
        return self.path[-1].target


@dataclass(frozen=True, slots=True)
class Persons:
    """At the root: the persons the customers list holds that match ``filter``, in ``order``
    then by key."""

    order: PersonOrder
    descending: bool
    filter: PersonFilter = PersonFilter()


Source = Reach | Persons
"""Where a list's vertices come from, and in which order."""


@dataclass(frozen=True, slots=True)
class Rows:
    """The first ``first`` vertices of ``source`` (past ``after``, when a cursor gave one), a
    list of objects."""

    source: Source
    first: int
    fields: Fields
    after: Keyset | None = None


@dataclass(frozen=True, slots=True)
class Count:
    """How many vertices ``source`` holds (``totalCount``, which ignores the cursor, as Relay's does)."""

    source: Source


@dataclass(frozen=True, slots=True)
class More:
    """Whether ``source`` holds more than ``first`` vertices past ``after`` (``hasNextPage``)."""

    source: Source
    first: int
    after: Keyset | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    """The same boolean everywhere (``hasPreviousPage``: whether the page starts after a cursor)."""

    value: bool


@dataclass(frozen=True, slots=True)
class Cursor:
    """In :class:`Rows` over ``source``: the current vertex's cursor for ``ordering``, the tag
    :func:`~customer360.resolvers.cursors.encode_cursor` writes with the sort value and key."""

    source: Source
    ordering: str


@dataclass(frozen=True, slots=True)
class EndCursor:
    """The cursor of the first (``last`` false) or last of the first ``first`` vertices of
    ``source`` past ``after``; null when there are none (``startCursor``, ``endCursor``)."""

    source: Source
    first: int
    ordering: str
    last: bool
    after: Keyset | None = None


Value = (Constant | Property | Masked | Joined | Enumerated | Nested | Linked | ByKey | EachOf | Rows | Count | More
         | Flag | Cursor | EndCursor)
Fields = tuple[tuple[str, Value], ...]
"""Response keys and their values, in the order the response writes them."""


@dataclass(frozen=True, slots=True)
class ResponseTree:
    """The ``data`` of one response. Its answer is that dict, or None when the backend cannot
    build it; a :class:`ByKey` root that found nothing is null in it."""

    fields: Fields

    @property
    def lookups(self) -> tuple[str, ...]:
        """The root keys that find one vertex by key (null when it does not exist)."""
        return tuple(key for key, value in self.fields if isinstance(value, ByKey))
