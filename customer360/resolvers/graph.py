"""Resolver logic: turn one field of one parent into a request on a batched plan step.

Nothing here knows a backend; nothing here knows Strawberry types. Results are model records
and :class:`~customer360.resolvers.paging.ConnectionData`, which the schema wraps into GraphQL types.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from customer360.auth.masking import ssn_from_last_four
from customer360.auth.policy import Access
from customer360.graphstore.plan import (
    CounterpartyRow,
    Direction,
    EdgeLabel,
    FindPersons,
    Hop,
    Op,
    Order,
    PersonFilter,
    PersonOrder,
    Predicate,
    Traverse,
    VertexLabel,
)
from customer360.model import Person
from customer360.resolvers.amounts import MAX_INTEGER_DIGITS
from customer360.resolvers.context import RequestContext
from customer360.resolvers.errors import NotFound, UserError
from customer360.resolvers.paging import (
    ConnectionData,
    PageArgs,
    PageRequest,
    connection_data,
    page_request,
)

# The traversals behind each relationship field, named after the field.
PERSON_ACCOUNTS = (Hop(EdgeLabel.OWNS, Direction.OUT),)
PERSON_ADDRESSES = (Hop(EdgeLabel.LIVES_AT, Direction.OUT),)
PERSON_PHONES = (Hop(EdgeLabel.HAS_PHONE, Direction.OUT),)
PERSON_TRANSACTIONS = (Hop(EdgeLabel.OWNS, Direction.OUT), Hop(EdgeLabel.SENT, Direction.OUT))
ADDRESS_RESIDENTS = (Hop(EdgeLabel.LIVES_AT, Direction.IN),)
PHONE_OWNERS = (Hop(EdgeLabel.HAS_PHONE, Direction.IN),)
ACCOUNT_SENT = (Hop(EdgeLabel.SENT, Direction.OUT),)
ACCOUNT_RECEIVED = (Hop(EdgeLabel.RECEIVED_BY, Direction.IN),)

NEWEST_FIRST = Order("timestamp", descending=True)
OLDEST_FIRST = Order("timestamp", descending=False)  # NEWEST_FIRST read backward
PAYMENTS_ORDERING = "timestamp:desc"
"""The cursors' ordering tag of every payments connection (newest first)."""


def _page(ctx: RequestContext, field: str, ordering: str, args: PageArgs) -> PageRequest:
    return page_request(field, ordering, args, ctx.settings.max_page_size, ctx.settings.default_page_size)


async def vertex(ctx: RequestContext, label: VertexLabel, key: str) -> Any | None:
    return await ctx.loaders.vertex(label, key)


MAX_NODES = 500


async def any_vertex(ctx: RequestContext, key: str) -> tuple[VertexLabel, Any] | None:
    """(label, record) of whatever vertex has this business key; batched per level."""
    return await ctx.loaders.locate(key)


async def any_vertices(ctx: RequestContext, keys: list[str]) -> list[tuple[VertexLabel, Any] | None]:
    """``nodes(ids:)``: every key in one batched call, in the order asked."""
    if len(keys) > MAX_NODES:
        raise UserError(f"nodes: argument 'ids' holds at most {MAX_NODES} ids, got {len(keys)}")
    return list(await asyncio.gather(*(ctx.loaders.locate(key) for key in keys)))


async def ssn(ctx: RequestContext, person: Person) -> str:
    """The SSN as this request may see it: masked from the last four digits kept in clear, or
    (for a role allowed to see it in clear) read apart and decrypted, one call per level."""
    if ctx.access.access("Person.ssn") is Access.MASKED:
        return ssn_from_last_four(person.ssn_last4)
    stored = await ctx.loaders.person_secret(person.person_id)
    if stored is None:
        raise NotFound(f"ssn: no person with id {person.person_id!r}")
    return ctx.store.cipher.decrypt(stored, person.person_id)


async def neighbours(
    ctx: RequestContext,
    source: VertexLabel,
    key: str,
    path: tuple[Hop, ...],
    where: tuple[Predicate, ...] = (),
) -> list[Any]:
    """A short list relationship (a person's accounts, an address's residents), capped."""
    shape = Traverse(source, (), path, where, first=ctx.settings.max_page_size)
    page = await ctx.loaders.traverse(shape, key)
    return page.rows


@dataclass(frozen=True, slots=True)
class TransactionFilterArgs:
    since: datetime | None = None
    until: datetime | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None


def amount_cents(field: str, argument: str, value: Decimal) -> int:
    """A money argument as exact cents, refusing what is not an amount. The size is checked
    before any arithmetic: scaling ``1e999997`` would build a million-digit integer."""
    try:
        if not value.is_finite():
            raise InvalidOperation
        if value and value.adjusted() >= MAX_INTEGER_DIGITS:
            raise UserError(
                f"{field}: argument '{argument}' is too large; amounts have at most "
                f"{MAX_INTEGER_DIGITS} digits before the point"
            )
        scaled = value * 100
        if scaled != scaled.to_integral_value():
            raise UserError(f"{field}: argument '{argument}' has more than two decimal places: {value}")
        return int(scaled)
    except InvalidOperation:
        raise UserError(f"{field}: argument '{argument}' is not a finite amount: {value}") from None


def _epoch(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


def transaction_predicates(field: str, flt: TransactionFilterArgs | None) -> tuple[Predicate, ...]:
    if flt is None:
        return ()
    predicates: list[Predicate] = []
    if flt.since is not None:
        predicates.append(Predicate("timestamp", Op.GTE, _epoch(flt.since)))
    if flt.until is not None:
        predicates.append(Predicate("timestamp", Op.LT, _epoch(flt.until)))
    if flt.min_amount is not None:
        predicates.append(Predicate("amount", Op.GTE, amount_cents(field, "filter.minAmount", flt.min_amount)))
    if flt.max_amount is not None:
        predicates.append(Predicate("amount", Op.LTE, amount_cents(field, "filter.maxAmount", flt.max_amount)))
    if flt.since and flt.until and flt.since >= flt.until:
        raise UserError(f"{field}: argument 'filter.since' must be before 'filter.until'")
    return tuple(predicates)


async def transactions(
    ctx: RequestContext,
    field: str,
    source: VertexLabel,
    key: str,
    path: tuple[Hop, ...],
    args: PageArgs,
    flt: TransactionFilterArgs | None,
    want_total: bool,
) -> ConnectionData:
    """Newest-first transaction pages, one batched traversal for every parent at this level
    (backward pages: the same traversal oldest-first)."""
    request = _page(ctx, field, PAYMENTS_ORDERING, args)
    order = OLDEST_FIRST if request.backward else NEWEST_FIRST
    shape = Traverse(
        source, (), path, transaction_predicates(field, flt), order, request.limit, request.keyset, want_total
    )
    return connection_data(PAYMENTS_ORDERING, await ctx.loaders.traverse(shape, key), request)


async def counterparties(ctx: RequestContext, field: str, key: str, first: int) -> list[CounterpartyRow]:
    if first < 0 or first > ctx.settings.max_page_size:
        raise UserError(f"{field}: argument 'first' must be between 0 and {ctx.settings.max_page_size}, got {first}")
    return await ctx.loaders.counterparties(first, key)


@dataclass(frozen=True, slots=True)
class CustomerQuery:
    name_contains: str | None = None
    state: str | None = None
    has_account_type: str | None = None
    min_total_balance: Decimal | None = None
    max_total_balance: Decimal | None = None
    segment_tier: str | None = None
    risk_level: str | None = None
    order: PersonOrder = PersonOrder.NAME
    descending: bool = False

    @property
    def ordering(self) -> str:
        """The cursors' ordering tag (``name:asc``, ``total_balance:desc``)."""
        return f"{self.order.value}:{'desc' if self.descending else 'asc'}"


async def customers(ctx: RequestContext, query: CustomerQuery, args: PageArgs, want_total: bool) -> ConnectionData:
    field = "customers"
    ordering = query.ordering
    request = _page(ctx, field, ordering, args)
    flt = customer_filter(query)
    descending = query.descending != request.backward
    step = FindPersons(flt, query.order, descending, request.limit, request.keyset, want_total)
    return connection_data(ordering, await ctx.store.find_persons(step), request)


def customer_filter(query: CustomerQuery) -> PersonFilter:
    """The ``customers`` filter as the plan takes it (errors name the argument)."""
    field = "customers"
    state = query.state.strip().upper() if query.state else None
    if state is not None and (len(state) != 2 or not state.isalpha()):
        raise UserError(f"{field}: argument 'filter.state' must be a two-letter US state code, got {query.state!r}")
    return PersonFilter(
        name_contains=query.name_contains.strip() if query.name_contains else None,
        state=state,
        has_account_type=query.has_account_type,
        min_total_balance_cents=(
            amount_cents(field, "filter.minTotalBalance", query.min_total_balance)
            if query.min_total_balance is not None else None
        ),
        max_total_balance_cents=(
            amount_cents(field, "filter.maxTotalBalance", query.max_total_balance)
            if query.max_total_balance is not None else None
        ),
        segment_tier=query.segment_tier,
        risk_level=query.risk_level,
    )


