"""Plan steps for the network features: neighbourhoods, paths, related customers, shared
addresses and phones, top counterparties. Backend-neutral, like :mod:`.plan`.

Each step is executed as ONE backend call, whatever the number of rows: each backend's
``network`` module compiles it (``sqlite/network.py`` into one parameterised statement,
``gremlin/network.py`` into one bytecode traversal), and the store protocol has one typed
method per step (``locate``, ``expand``, ``related_persons``, ``shared_vertices``,
``top_receivers``) whose result type each step's docstring names.

Vertices are referred to as :class:`VertexRef` ``(label, key)`` pairs; ordering of vertices
is always by label name, then business key (:func:`vertex_order`), so that results, limits
and cuts are deterministic on every backend.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from customer360.graphstore.plan import EdgeLabel, Keyset, VertexLabel

ALL_EDGE_LABELS: tuple[EdgeLabel, ...] = tuple(EdgeLabel)

# Every business-key property: each vertex carries exactly one of them.
BUSINESS_KEYS: tuple[str, ...] = tuple(label.key for label in VertexLabel)

MAX_COUNTERPARTY_SENDERS = 50
"""SHARED_COUNTERPARTY ignores receiving accounts paid by more than this many distinct
sending accounts: a hub (a utility, a payroll account) would otherwise relate everyone who
pays it to everyone else who does."""

EVIDENCE_CAP = 5
"""At most this many evidence items per relation kind are listed (the total is still told)."""


class VertexRef(NamedTuple):
    """A vertex by label and business key."""

    label: VertexLabel
    key: str


def vertex_order(ref: VertexRef) -> tuple[str, str]:
    """The one vertex order of this module: label name, then business key."""
    return (ref.label.value, ref.key)


def _sorted_refs(refs: Iterable[VertexRef]) -> tuple[VertexRef, ...]:
    return tuple(sorted(set(refs), key=vertex_order))


# ------------------------------------------------------------------ steps


@dataclass(frozen=True, slots=True)
class Locate:
    """Find vertices by business key without knowing their label.

    Result: ``dict[key, list[tuple[VertexRef, record]]]`` (usually one match per key; a key
    that no vertex has is absent). Records are :mod:`customer360.model` instances.
    """

    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Expand:
    """One hop out of ``frontier`` in both directions over ``edge_labels``.

    Returns the *new* neighbours (those not in ``exclude`` nor in the frontier), in vertex
    order, at most ``limit`` of them, and every edge between the frontier and a returned
    neighbour. ``total_new`` in the result tells how many new neighbours there were before
    the limit, so a caller knows it cut.
    """

    frontier: tuple[VertexRef, ...]
    edge_labels: tuple[EdgeLabel, ...] = ALL_EDGE_LABELS
    limit: int | None = None
    exclude: tuple[VertexRef, ...] = ()
    with_records: bool = True  # False: refs and edges only (path search needs no properties)

    def __post_init__(self) -> None:
        object.__setattr__(self, "frontier", _sorted_refs(self.frontier))
        object.__setattr__(self, "exclude", _sorted_refs(self.exclude))
        object.__setattr__(self, "edge_labels", tuple(sorted(set(self.edge_labels), key=lambda e: e.value)))
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must not be negative")

    def frontier_keys(self, label: VertexLabel) -> list[str]:
        return [ref.key for ref in self.frontier if ref.label is label]

    def excluded_keys(self, label: VertexLabel) -> list[str]:
        """Keys never returned as new: the explicit exclusions and the frontier itself."""
        return sorted({ref.key for ref in self.exclude + self.frontier if ref.label is label})

    def labels_present(self) -> list[VertexLabel]:
        return [label for label in VertexLabel if any(ref.label is label for ref in self.frontier)]


@dataclass(frozen=True, slots=True)
class ExpandEach:
    """Several independent :class:`Expand` hops in ONE backend call (a bidirectional path
    search expands the frontier of both ends at once).

    Result: ``list[Expansion]``, one per part, in order.
    """

    parts: tuple[Expand, ...]


class Relation(enum.Enum):
    SHARED_ADDRESS = "SHARED_ADDRESS"
    SHARED_PHONE = "SHARED_PHONE"
    TRANSFERS = "TRANSFERS"
    SHARED_COUNTERPARTY = "SHARED_COUNTERPARTY"


@dataclass(frozen=True, slots=True)
class RelatedPersons:
    """For each person: the other persons related to them, with evidence, all four relation
    kinds in one call.

    - SHARED_ADDRESS: both live at the address (item: address id);
    - SHARED_PHONE: both are linked to the phone (item: phone id);
    - TRANSFERS: money moved between their accounts (items ``sent`` / ``received``, seen from
      the person, with the count and volume);
    - SHARED_COUNTERPARTY: accounts of both sent money to the same account, owned by neither
      of them, paid by at most ``max_counterparty_senders`` distinct accounts (item: that
      account's id).

    Result: ``dict[person_key, list[RelationRow]]`` (an empty list for unrelated persons).
    """

    person_keys: tuple[str, ...]
    max_counterparty_senders: int = MAX_COUNTERPARTY_SENDERS


class SharedKind(enum.Enum):
    ADDRESS = "address"  # persons LIVES_AT it
    PHONE = "phone"  # persons HAS_PHONE it

    @property
    def label(self) -> VertexLabel:
        return VertexLabel.ADDRESS if self is SharedKind.ADDRESS else VertexLabel.PHONE

    @property
    def edge(self) -> EdgeLabel:
        return EdgeLabel.LIVES_AT if self is SharedKind.ADDRESS else EdgeLabel.HAS_PHONE

    @property
    def operation(self) -> str:
        """The call's name in the call log."""
        return "shared_addresses" if self is SharedKind.ADDRESS else "shared_phones"


@dataclass(frozen=True, slots=True)
class SharedVertices:
    """A page of addresses (or phones) linked to at least ``min_persons`` distinct persons,
    most persons first, then by id; ``after`` is a keyset ``(person count, id)``.

    Result: :class:`~customer360.graphstore.plan.Page` of :class:`SharedRow` (its
    ``keysets`` hold the count as value) with ``total`` when ``with_total``.
    """

    kind: SharedKind
    min_persons: int = 2
    first: int = 20
    after: Keyset | None = None
    with_total: bool = False
    reverse: bool = False  # fewest persons first, then by id descending: a backward page


@dataclass(frozen=True, slots=True)
class TopReceivers:
    """The accounts that received the most transactions: count desc, volume desc, id asc.

    Result: ``list[ReceiverRow]``.
    """

    first: int = 10


NetworkStep = Locate | ExpandEach | RelatedPersons | SharedVertices | TopReceivers


# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class NetworkEdge:
    """An edge in its stored direction: ``source -label-> target``."""

    label: EdgeLabel
    source: VertexRef
    target: VertexRef


@dataclass(slots=True)
class Expansion:
    new: list[VertexRef] = field(default_factory=list)  # vertex order, at most the limit
    records: dict[VertexRef, Any] = field(default_factory=dict)  # when asked with_records
    edges: list[NetworkEdge] = field(default_factory=list)  # frontier <-> new, every one
    total_new: int = 0  # new neighbours before the limit

    @property
    def cut(self) -> bool:
        return self.total_new > len(self.new)


def edge_between(label: EdgeLabel, frontier: VertexRef, other: VertexRef, frontier_is_out: bool) -> NetworkEdge:
    return NetworkEdge(label, frontier, other) if frontier_is_out else NetworkEdge(label, other, frontier)


def finish_expansion(part: Expand, expansion: Expansion) -> Expansion:
    """Put an executor's raw answer in the documented order (backends may return any order)."""
    expansion.new.sort(key=vertex_order)
    kept = set(expansion.new)
    position = {ref: index for index, ref in enumerate(expansion.new)}
    frontier_position = {ref: index for index, ref in enumerate(part.frontier)}
    edges = {edge for edge in expansion.edges if edge.source in kept or edge.target in kept}

    def edge_order(edge: NetworkEdge) -> tuple[int, str, int]:
        new, old = (edge.source, edge.target) if edge.source in kept else (edge.target, edge.source)
        return (position[new], edge.label.value, frontier_position.get(old, -1))

    expansion.edges = sorted(edges, key=edge_order)
    return expansion


@dataclass(frozen=True, slots=True)
class RelationRow:
    """One piece of evidence that ``person_id`` and ``other_id`` are related.

    For TRANSFERS ``item`` is ``sent`` or ``received`` (seen from ``person_id``) with the
    number of transactions and their volume in cents; for the other kinds ``item`` is the
    shared vertex's id and ``count`` is 1.
    """

    person_id: str
    other_id: str
    relation: Relation
    item: str
    count: int = 1
    volume_cents: int = 0


@dataclass(frozen=True, slots=True)
class SharedRow:
    key: str  # address_id or phone_id
    person_ids: tuple[str, ...]  # sorted, distinct

    @property
    def count(self) -> int:
        return len(self.person_ids)


@dataclass(frozen=True, slots=True)
class ReceiverRow:
    account_id: str
    transaction_count: int
    volume_cents: int
    distinct_senders: int
