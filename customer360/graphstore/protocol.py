"""What every graph store offers: plan steps for reading, a bulk writer for loading.

The GraphQL layer depends only on this protocol, so the embedded SQLite store and the
JanusGraph store are interchangeable behind ``C360_GRAPH``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from customer360.encryption import FieldCipher
from customer360.graphstore.network_plan import (
    ExpandEach,
    Expansion,
    Locate,
    ReceiverRow,
    RelatedPersons,
    RelationRow,
    SharedVertices,
    TopReceivers,
    VertexRef,
)
from customer360.graphstore.plan import (
    BankTotals,
    Counterparties,
    CounterpartyRow,
    FindPersons,
    GetVertices,
    MetricsRow,
    Page,
    PersonMetrics,
    PersonSecrets,
    Traverse,
    VertexLabel,
)
from customer360.graphstore.response_tree import ResponseTree
from customer360.insights import Rules
from customer360.model import (
    Account,
    Address,
    Phone,
    PhoneLink,
    Residence,
    SeedPerson,
    Transaction,
)


class StoreUnavailable(RuntimeError):
    """The backend cannot be reached (down, or too slow); the request may be retried later."""

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(f"graph backend {backend} is unavailable: {reason}")
        self.backend = backend
        self.reason = reason


class BulkWriter(Protocol):
    """Upserts by business key: writing the same rows twice leaves one copy of each."""

    def put_persons(self, rows: Sequence[SeedPerson]) -> None: ...
    def put_accounts(self, rows: Sequence[Account]) -> None: ...
    def put_addresses(self, rows: Sequence[Address]) -> None: ...
    def put_phones(self, rows: Sequence[Phone]) -> None: ...
    def put_residences(self, rows: Sequence[Residence]) -> None: ...
    def put_phone_links(self, rows: Sequence[PhoneLink]) -> None: ...
    def put_transactions(self, rows: Sequence[Transaction]) -> None: ...


@runtime_checkable
class GraphStore(Protocol):
    backend: str

    async def get_vertices(self, step: GetVertices) -> dict[str, Any]:
        """Records by business key; unknown keys are absent from the result."""

    async def traverse(self, step: Traverse) -> dict[str, Page]:
        """One :class:`Page` per source key (an empty page for sources with no neighbours)."""

    async def find_persons(self, step: FindPersons) -> Page:
        """One page of persons, each row a :class:`~customer360.model.Person`."""

    async def counterparties(self, step: Counterparties) -> dict[str, list[CounterpartyRow]]:
        """Per account, the accounts it sent to, most transactions first."""

    async def person_metrics(self, step: PersonMetrics) -> dict[str, MetricsRow]:
        """Per person key: the aggregates the insights are computed from."""

    async def person_secrets(self, step: PersonSecrets) -> dict[str, str]:
        """Per person key: the SSN as stored (encrypted; see customer360/encryption.py)."""

    async def portfolio(self) -> dict | None:
        """The cached dashboard snapshot (None before the first load)."""

    @property
    def builds_response_trees(self) -> bool:
        """Whether :meth:`response_tree` can answer (else it answers None): callers need not plan one."""

    async def response_tree(self, step: ResponseTree) -> dict[str, Any] | None:
        """A whole response's ``data`` built in one query, or None when this backend cannot."""

    # the network steps (customer360.graphstore.network_plan), each ONE backend call

    async def locate(self, step: Locate) -> dict[str, list[tuple[VertexRef, Any]]]:
        """Vertices by business key whatever their label (usually one match per key)."""

    async def expand(self, step: ExpandEach) -> list[Expansion]:
        """One hop out of each part's frontier, all parts at once."""

    async def related_persons(self, step: RelatedPersons) -> dict[str, list[RelationRow]]:
        """Per person: evidence rows of every relation kind."""

    async def shared_vertices(self, step: SharedVertices) -> Page:
        """A page of addresses (phones) shared by several persons."""

    async def top_receivers(self, step: TopReceivers) -> list[ReceiverRow]:
        """The accounts that received the most transactions."""

    async def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the backend answers a trivial query now."""

    def init_schema(self) -> None:
        """Create labels/tables, keys and indexes (idempotent)."""

    def existing_keys(self, label: VertexLabel, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` are already stored (lets a load link to earlier loads)."""

    def bulk_writer(self) -> AbstractContextManager[BulkWriter]:
        """A writer whose work is kept only if the block ends without an exception."""

    # the insight cache (see insight_cache.py); loads keep these in step. Synchronous, and
    # they work the same whether or not the calling thread runs an event loop.
    rules: Rules
    cipher: FieldCipher  # the SSN at rest (customer360/encryption.py)

    def iter_person_metrics(self, batch_size: int) -> Iterator[list[MetricsRow]]: ...
    def write_person_insights(self, rows: list[tuple[str, str, str]]) -> None: ...
    def bank_totals(self) -> BankTotals: ...
    def read_state(self, key: str) -> str | None: ...
    def write_state(self, key: str, value: str) -> None: ...

    def close(self) -> None: ...
