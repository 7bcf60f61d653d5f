"""The backend-neutral query plan: typed steps, each executed as ONE batched backend call.

Resolvers never talk SQL or Gremlin. They describe what a selection level needs as one of
the steps below (for *all* parent rows at once) and a store compiles that step with its own
emitter: ``sqlite.py`` into one parameterised SQL statement, ``gremlin.py`` into one bytecode
traversal. Keeping the plan free of backend syntax is what lets one contract test suite run
unchanged against every store (the kensho graphql-compiler approach).

The graph vocabulary follows DESIGN.md: vertices person, account, address, phone,
transaction; edges OWNS, LIVES_AT, HAS_PHONE, SENT, RECEIVED_BY. Money travels through the
plan as integer cents so that every backend sums it exactly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class VertexLabel(enum.Enum):
    PERSON = "person"
    ACCOUNT = "account"
    ADDRESS = "address"
    PHONE = "phone"
    TRANSACTION = "transaction"

    @property
    def key(self) -> str:
        """The business-key property; GraphQL ids are these keys, never backend ids."""
        return f"{self.value}_id"


class EdgeLabel(enum.Enum):
    OWNS = "OWNS"  # person -> account
    LIVES_AT = "LIVES_AT"  # person -> address
    HAS_PHONE = "HAS_PHONE"  # person -> phone
    SENT = "SENT"  # account -> transaction
    RECEIVED_BY = "RECEIVED_BY"  # transaction -> account

    @property
    def endpoints(self) -> tuple[VertexLabel, VertexLabel]:
        """(out vertex, in vertex) of this edge label."""
        return _EDGE_ENDPOINTS[self]


_EDGE_ENDPOINTS = {
    EdgeLabel.OWNS: (VertexLabel.PERSON, VertexLabel.ACCOUNT),
    EdgeLabel.LIVES_AT: (VertexLabel.PERSON, VertexLabel.ADDRESS),
    EdgeLabel.HAS_PHONE: (VertexLabel.PERSON, VertexLabel.PHONE),
    EdgeLabel.SENT: (VertexLabel.ACCOUNT, VertexLabel.TRANSACTION),
    EdgeLabel.RECEIVED_BY: (VertexLabel.TRANSACTION, VertexLabel.ACCOUNT),
}


class Direction(enum.Enum):
    OUT = "out"
    IN = "in"


@dataclass(frozen=True, slots=True)
class Hop:
    """Follow ``edge`` from the current vertices in ``direction``."""

    edge: EdgeLabel
    direction: Direction

    @property
    def source(self) -> VertexLabel:
        out_label, in_label = self.edge.endpoints
        return out_label if self.direction is Direction.OUT else in_label

    @property
    def target(self) -> VertexLabel:
        out_label, in_label = self.edge.endpoints
        return in_label if self.direction is Direction.OUT else out_label


class Op(enum.Enum):
    EQ = "eq"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    WITHIN = "within"


@dataclass(frozen=True, slots=True)
class Predicate:
    """A condition on a property of the target vertex (``amount`` in cents, ``timestamp``...)."""

    prop: str
    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class Order:
    """Sort by ``prop`` (then by the business key, so pages are stable)."""

    prop: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Keyset:
    """Where a page starts: strictly after the row with these sort values (from a cursor)."""

    value: Any
    key: str


@dataclass(frozen=True, slots=True)
class Traverse:
    """From each source vertex, follow ``path`` and return a page of the vertices reached.

    One call answers every parent at once; ``first`` and ``after`` apply per source, so
    "each account's last 20 transactions" for 100 accounts is still a single call.
    """

    source: VertexLabel
    source_keys: tuple[str, ...]
    path: tuple[Hop, ...]
    where: tuple[Predicate, ...] = ()
    order: Order | None = None
    first: int | None = None
    after: Keyset | None = None
    with_total: bool = False

    @property
    def target(self) -> VertexLabel:
        return self.path[-1].target

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError("a traversal needs at least one hop")
        if self.path[0].source is not self.source:
            raise ValueError(f"path starts at {self.path[0].source}, not {self.source}")
        for before, after in zip(self.path, self.path[1:]):
            if before.target is not after.source:
                raise ValueError(f"hop {after} does not continue from {before.target}")


@dataclass(frozen=True, slots=True)
class GetVertices:
    """Fetch vertices of one label by business key (missing keys are simply absent)."""

    label: VertexLabel
    keys: tuple[str, ...]


class PersonOrder(enum.Enum):
    NAME = "name"
    TOTAL_BALANCE = "total_balance"


@dataclass(frozen=True, slots=True)
class PersonFilter:
    """The ``customers`` filters; every field set must hold (AND)."""

    name_contains: str | None = None
    state: str | None = None
    has_account_type: str | None = None
    min_total_balance_cents: int | None = None
    max_total_balance_cents: int | None = None
    segment_tier: str | None = None  # as stored by the insight refresh (insights.Tier value)
    risk_level: str | None = None  # likewise (insights.RiskLevel value)


@dataclass(frozen=True, slots=True)
class FindPersons:
    """A page of persons matching ``filter``, ordered by name or by total balance."""

    filter: PersonFilter = field(default_factory=PersonFilter)
    order: PersonOrder = PersonOrder.NAME
    descending: bool = False
    first: int = 20
    after: Keyset | None = None
    with_total: bool = False


@dataclass(frozen=True, slots=True)
class Counterparties:
    """Per account: the accounts it sent money to, with transaction count and volume."""

    source_keys: tuple[str, ...]
    first: int | None = None


@dataclass(frozen=True, slots=True)
class PersonMetrics:
    """Per person: the aggregates every insight is computed from (kept up to date by loads)."""

    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PersonSecrets:
    """Per person: the SSN as stored (encrypted). Asked for only when a caller may see it in
    clear and selected it; no other step ever selects it."""

    keys: tuple[str, ...]


Step = Traverse | GetVertices | FindPersons | Counterparties | PersonMetrics | PersonSecrets


# ---------------------------------------------------------------- results


@dataclass(slots=True)
class Page:
    """One source's slice of a traversal: rows in order, whether more follow, the total."""

    rows: list[Any]
    has_next: bool = False
    total: int | None = None
    keysets: list[Keyset] = field(default_factory=list)  # where a page after each row starts


@dataclass(frozen=True, slots=True)
class CounterpartyRow:
    account_id: str
    transaction_count: int
    volume_cents: int


@dataclass(frozen=True, slots=True)
class MetricsRow:
    person_id: str
    num_accounts: int
    total_balance_cents: int
    num_transactions: int
    total_volume_cents: int
    account_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BankTotals:
    """Bank-wide figures for the dashboard that are not sums over persons."""

    accounts: int
    transactions: int
    total_volume_cents: int
    shared_addresses: int
    shared_phones: int
    shared_counterparties: int
