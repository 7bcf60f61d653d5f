"""What the compiled path knows how to resolve: per GraphQL type, per field, how to read it.

A field is either a :class:`Leaf` (read from one parent: a scalar already in its JSON form —
Decimal as a string, DateTime as ISO 8601, enums by name — or the child object(s) an object
field leads to) or a :class:`Batch` (one call for every parent of the level, returning one
value per parent). Both read
what the general path's resolvers read: the same ``resolvers`` functions check arguments, the
same request access masks personal data, the same store steps fetch rows. A field that is
not here sends the whole operation to the general path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from customer360 import model
from customer360.auth.masking import ssn_from_last_four
from customer360.auth.policy import Access
from customer360.graphstore.insight_cache import metrics_of
from customer360.graphstore.network_plan import (
    MAX_COUNTERPARTY_SENDERS,
    RelatedPersons,
)
from customer360.graphstore.plan import (
    Counterparties,
    GetVertices,
    Hop,
    PersonMetrics,
    PersonOrder,
    PersonSecrets,
    Traverse,
    VertexLabel,
)
from customer360.insights import RiskLevel, Tier
from customer360.insights.profile import CustomerInsights, evaluate
from customer360.model import from_cents
from customer360.resolvers import graph
from customer360.resolvers.context import RequestContext
from customer360.resolvers.errors import NotFound, UserError
from customer360.resolvers.network import rank_related
from customer360.resolvers.paging import PageArgs, connection_data, page_request
from customer360.schema.enums import (
    ACCOUNT_STATUSES,
    ACCOUNT_TYPES,
    PHONE_TYPES,
    PRODUCTS,
    RELATIONS,
    RISK_LEVELS,
    SEGMENT_TIERS,
)

Args = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Leaf:
    """A field read from one parent: ``read(ctx, parent, args)`` is the JSON value."""

    read: Callable[[RequestContext, Any, Args], Any]


@dataclass(frozen=True, slots=True)
class Batch:
    """A field read for all parents at once: one value per parent. ``wants`` holds the names of
    the fields selected under it, for calls that depend on them (``totalCount``)."""

    load: Callable[[RequestContext, Sequence[Any], Args, frozenset[str]], Awaitable[list[Any]]]


Field = Leaf | Batch


def _unique(keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(keys))


def page_args(args: Args) -> PageArgs:
    return PageArgs(first=args.get("first"), after=args.get("after"), last=args.get("last"), before=args.get("before"))


def person_order(args: Args) -> tuple[PersonOrder, bool]:
    """``customers``' ``orderBy``: by name unless by total balance; descending or not."""
    order = args.get("orderBy") or {}
    field = order.get("field")
    by = PersonOrder.TOTAL_BALANCE if field is not None and field.name == "TOTAL_BALANCE" else PersonOrder.NAME
    return by, order.get("direction") is not None and order["direction"].name == "DESC"


# ------------------------------------------------------------------ batched loads


def transaction_filter(args: Args) -> graph.TransactionFilterArgs | None:
    flt = args.get("filter")
    return None if flt is None else graph.TransactionFilterArgs(
        flt.get("since"), flt.get("until"), flt.get("minAmount"), flt.get("maxAmount"))


def vertices(label: VertexLabel, key_of: Callable[[Any], str]) -> Batch:
    """A vertex per parent by business key (``Account.owner``, ``Transaction.to``...)."""

    async def load(ctx: RequestContext, parents: Sequence[Any], args: Args, wants: frozenset[str]) -> list[Any]:
        keys = [key_of(p) for p in parents]
        found = await ctx.store.get_vertices(GetVertices(label, _unique(keys))) if keys else {}
        return [found.get(k) for k in keys]

    return Batch(load)


def neighbours(source: VertexLabel, key_of: Callable[[Any], str], path: tuple[Hop, ...]) -> Batch:
    """A short list per parent (``Person.accounts``, ``Address.residents``): one traversal."""

    async def load(ctx: RequestContext, parents: Sequence[Any], args: Args, wants: frozenset[str]) -> list[Any]:
        keys = [key_of(p) for p in parents]
        step = Traverse(source, _unique(keys), path, first=ctx.settings.max_page_size)
        pages = await ctx.store.traverse(step)
        return [pages[k].rows for k in keys]

    return Batch(load)


def transactions(field: str, source: VertexLabel, key_of: Callable[[Any], str], path: tuple[Hop, ...]) -> Batch:
    """A connection of payments per parent, newest first (or backward): one traversal."""

    async def load(ctx: RequestContext, parents: Sequence[Any], args: Args, wants: frozenset[str]) -> list[Any]:
        filter_args = transaction_filter(args)
        request = page_request(field, graph.PAYMENTS_ORDERING, page_args(args), ctx.settings.max_page_size,
                               ctx.settings.default_page_size)
        order = graph.OLDEST_FIRST if request.backward else graph.NEWEST_FIRST
        keys = [key_of(p) for p in parents]
        step = Traverse(source, _unique(keys), path, graph.transaction_predicates(field, filter_args), order,
                        request.limit, request.keyset, "totalCount" in wants)
        pages = await ctx.store.traverse(step)
        return [connection_data(graph.PAYMENTS_ORDERING, pages[k], request) for k in keys]

    return Batch(load)


async def _insights(ctx: RequestContext, parents: Sequence[model.Person]) -> list[CustomerInsights]:
    """Metrics, segment, risk and recommendations of one level share ONE metrics call."""
    keys = [p.person_id for p in parents]
    step = PersonMetrics(_unique(keys))
    task = ctx.shared.get(step)
    if task is None:
        task = ctx.shared[step] = asyncio.ensure_future(ctx.store.person_metrics(step))
    rows = await task
    missing = [k for k in keys if k not in rows]
    if missing:
        raise NotFound(f"metrics: no person with id {missing[0]!r}")
    return [evaluate(metrics_of(rows[k]), ctx.store.rules) for k in keys]


def insight(pick: Callable[[CustomerInsights], Any]) -> Batch:
    async def load(ctx: RequestContext, parents: Sequence[Any], args: Args, wants: frozenset[str]) -> list[Any]:
        return [pick(found) for found in await _insights(ctx, parents)]

    return Batch(load)


async def _ssn(ctx: RequestContext, parents: Sequence[model.Person], args: Args, wants: frozenset[str]) -> list[Any]:
    if ctx.access.access("Person.ssn") is Access.MASKED:
        return [ssn_from_last_four(p.ssn_last4) for p in parents]
    keys = [p.person_id for p in parents]
    stored = await ctx.store.person_secrets(PersonSecrets(_unique(keys)))
    return [ctx.store.cipher.decrypt(stored[k], k) for k in keys]


async def _related(ctx: RequestContext, parents: Sequence[model.Person], args: Args, wants: frozenset[str]) -> list[Any]:
    first = args["first"]
    if first < 0 or first > ctx.settings.max_page_size:
        raise UserError(f"Person.relatedCustomers: argument 'first' must be between 0 and "
                        f"{ctx.settings.max_page_size}, got {first}")
    keys = [p.person_id for p in parents]
    found = await ctx.store.related_persons(RelatedPersons(_unique(keys), MAX_COUNTERPARTY_SENDERS))
    return [rank_related(found.get(k, []), first) for k in keys]


async def _counterparties(ctx: RequestContext, parents: Sequence[model.Account], args: Args,
                          wants: frozenset[str]) -> list[Any]:
    first = args["first"]
    if first < 0 or first > ctx.settings.max_page_size:
        raise UserError(f"Account.counterparties: argument 'first' must be between 0 and "
                        f"{ctx.settings.max_page_size}, got {first}")
    keys = [p.account_id for p in parents]
    rows = await ctx.store.counterparties(Counterparties(_unique(keys), first))
    return [rows[k] for k in keys]


def _by_id(label: VertexLabel, field: str) -> Batch:
    async def load(ctx: RequestContext, parents: Sequence[Any], args: Args, wants: frozenset[str]) -> list[Any]:
        key = args["id"]
        found = await ctx.store.get_vertices(GetVertices(label, (key,)))
        if key not in found:
            raise NotFound(f"{field}: no {label.value} with id {key!r}")
        return [found[key]]

    return Batch(load)


async def _customers(ctx: RequestContext, parents: Sequence[Any], args: Args, wants: frozenset[str]) -> list[Any]:
    return [await graph.customers(ctx, customer_query(args), page_args(args), "totalCount" in wants)]


def customer_query(args: Args) -> graph.CustomerQuery:
    """``customers``' filter and order arguments, as the resolvers take them."""
    flt = args.get("filter") or {}
    order, descending = person_order(args)
    return graph.CustomerQuery(
        name_contains=flt.get("nameContains"),
        state=flt.get("state"),
        has_account_type=ACCOUNT_TYPES.to_inner(flt["hasAccountType"]).value if flt.get("hasAccountType") else None,
        min_total_balance=flt.get("minTotalBalance"),
        max_total_balance=flt.get("maxTotalBalance"),
        segment_tier=SEGMENT_TIERS.to_inner(flt["segment"]).value if flt.get("segment") else None,
        risk_level=RISK_LEVELS.to_inner(flt["riskLevel"]).value if flt.get("riskLevel") else None,
        order=order,
        descending=descending,
    )


async def _portfolio(ctx: RequestContext, parents: Sequence[Any], args: Args, wants: frozenset[str]) -> list[Any]:
    snapshot = await ctx.store.portfolio()
    if snapshot is None:
        raise NotFound("portfolio: the graph is empty; load a bank first (c360 load DIR)")
    return [snapshot]


async def _node(ctx: RequestContext, parents: Sequence[Any], args: Args, wants: frozenset[str]) -> list[Any]:
    return [await graph.any_vertex(ctx, args["id"])]


async def _nodes(ctx: RequestContext, parents: Sequence[Any], args: Args, wants: frozenset[str]) -> list[Any]:
    return [await graph.any_vertices(ctx, list(args["ids"]))]


# ------------------------------------------------------------------ leaves


def _money(value: Decimal) -> str:
    return str(value)


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat()


def attribute(name: str) -> Leaf:
    return Leaf(lambda ctx, parent, args: getattr(parent, name))


def personal(policy_field: str, value_of: Callable[[Any], str]) -> Leaf:
    return Leaf(lambda ctx, parent, args: ctx.access.present(policy_field, value_of(parent)))


# ------------------------------------------------------------------ the table

PERSON, ACCOUNT, ADDRESS, PHONE, TRANSACTION = (
    VertexLabel.PERSON, VertexLabel.ACCOUNT, VertexLabel.ADDRESS, VertexLabel.PHONE, VertexLabel.TRANSACTION,
)


def _connection_fields() -> dict[str, Field]:
    return {
        "edges": Leaf(lambda ctx, data, args: data.edges),
        "pageInfo": Leaf(lambda ctx, data, args: data),
        "totalCount": Leaf(lambda ctx, data, args: data.total),
    }


EDGE = {"cursor": Leaf(lambda ctx, edge, args: edge.cursor), "node": Leaf(lambda ctx, edge, args: edge.node)}

FIELDS: dict[str, dict[str, Field]] = {
    "Query": {
        "customer": _by_id(PERSON, "customer"),
        "account": _by_id(ACCOUNT, "account"),
        "transaction": _by_id(TRANSACTION, "transaction"),
        "address": _by_id(ADDRESS, "address"),
        "phone": _by_id(PHONE, "phone"),
        "customers": Batch(_customers),
        "portfolio": Batch(_portfolio),
        "node": Batch(_node),
        "nodes": Batch(_nodes),
    },
    "Person": {
        "id": attribute("person_id"),
        "firstName": personal("Person.firstName", lambda p: p.first_name),
        "lastName": personal("Person.lastName", lambda p: p.last_name),
        "name": personal("Person.name", lambda p: f"{p.first_name} {p.last_name}"),
        "dateOfBirth": personal("Person.dateOfBirth", lambda p: p.date_of_birth),
        "ssn": Batch(_ssn),
        "accounts": neighbours(PERSON, lambda p: p.person_id, graph.PERSON_ACCOUNTS),
        "addresses": neighbours(PERSON, lambda p: p.person_id, graph.PERSON_ADDRESSES),
        "phones": neighbours(PERSON, lambda p: p.person_id, graph.PERSON_PHONES),
        "transactions": transactions("Person.transactions", PERSON, lambda p: p.person_id, graph.PERSON_TRANSACTIONS),
        "metrics": insight(lambda found: found.metrics),
        "segment": insight(lambda found: found.segment),
        "risk": insight(lambda found: found.risk),
        "recommendations": insight(lambda found: list(found.recommendations)),
        "relatedCustomers": Batch(_related),
    },
    "Account": {
        "id": attribute("account_id"),
        "type": Leaf(lambda ctx, a, args: ACCOUNT_TYPES.to_public(a.account_type).name),
        "balance": Leaf(lambda ctx, a, args: _money(a.balance)),
        "status": Leaf(lambda ctx, a, args: ACCOUNT_STATUSES.to_public(a.status).name),
        "owner": vertices(PERSON, lambda a: a.owner_person_id),
        "sent": transactions("Account.sent", ACCOUNT, lambda a: a.account_id, graph.ACCOUNT_SENT),
        "received": transactions("Account.received", ACCOUNT, lambda a: a.account_id, graph.ACCOUNT_RECEIVED),
        "counterparties": Batch(_counterparties),
    },
    "Transaction": {
        "id": attribute("transaction_id"),
        "amount": Leaf(lambda ctx, t, args: _money(t.amount)),
        "timestamp": Leaf(lambda ctx, t, args: _when(t.timestamp)),
        "from": vertices(ACCOUNT, lambda t: t.from_account_id),
        "to": vertices(ACCOUNT, lambda t: t.to_account_id),
    },
    "Address": {
        "id": attribute("address_id"),
        "street": personal("Address.street", lambda a: a.street),
        "city": personal("Address.city", lambda a: a.city),
        "state": personal("Address.state", lambda a: a.state),
        "zipCode": personal("Address.zipCode", lambda a: a.zip_code),
        "residents": neighbours(ADDRESS, lambda a: a.address_id, graph.ADDRESS_RESIDENTS),
    },
    "Phone": {
        "id": attribute("phone_id"),
        "number": personal("Phone.number", lambda p: p.number),
        "type": Leaf(lambda ctx, p, args: PHONE_TYPES.to_public(p.phone_type).name),
        "owners": neighbours(PHONE, lambda p: p.phone_id, graph.PHONE_OWNERS),
    },
    "Counterparty": {
        "transactionCount": attribute("transaction_count"),
        "volume": Leaf(lambda ctx, row, args: _money(from_cents(row.volume_cents))),
        "account": vertices(ACCOUNT, lambda row: row.account_id),
    },
    "CustomerMetrics": {
        "numAccounts": attribute("num_accounts"),
        "totalBalance": Leaf(lambda ctx, m, args: _money(m.total_balance)),
        "numTransactions": attribute("num_transactions"),
        "totalVolume": Leaf(lambda ctx, m, args: _money(m.total_volume)),
        "avgTransaction": Leaf(lambda ctx, m, args: _money(m.avg_transaction)),
    },
    "Segment": {
        "tier": Leaf(lambda ctx, s, args: SEGMENT_TIERS.to_public(s.tier).name),
        "reasons": Leaf(lambda ctx, s, args: list(s.reasons)),
    },
    "Risk": {
        "score": attribute("score"),
        "level": Leaf(lambda ctx, r, args: RISK_LEVELS.to_public(r.level).name),
        "reasons": Leaf(lambda ctx, r, args: list(r.reasons)),
    },
    "Recommendation": {
        "product": Leaf(lambda ctx, r, args: PRODUCTS.to_public(r.product).name),
        "reason": Leaf(lambda ctx, r, args: r.reason),
    },
    "Reason": {"rule": attribute("rule"), "detail": attribute("detail")},
    "RelatedCustomer": {
        "via": Leaf(lambda ctx, r, args: [RELATIONS.to_public(v).name for v in r.via]),
        "evidence": Leaf(lambda ctx, r, args: r.evidence),
        "evidenceCount": Leaf(lambda ctx, r, args: r.evidence_count),
        "relations": Leaf(lambda ctx, r, args: r.relations),
        "person": vertices(PERSON, lambda r: r.person_id),
    },
    "RelationEvidence": {
        "relation": Leaf(lambda ctx, e, args: RELATIONS.to_public(e.relation).name),
        "total": attribute("total"),
        "items": attribute("items"),
    },
    "Portfolio": {
        **{name: Leaf(lambda ctx, s, args, name=name: s[name]) for name in (
            "customers", "accounts", "transactions", "crossSellOpportunities", "sharedAddresses",
            "sharedPhones", "sharedCounterparties")},
        **{name: Leaf(lambda ctx, s, args, name=name: str(Decimal(s[name]))) for name in (
            "totalBalance", "avgBalancePerCustomer", "totalVolume", "avgTransaction")},
        "segments": Leaf(lambda ctx, s, args: s["segments"]),
        "riskLevels": Leaf(lambda ctx, s, args: s["riskLevels"]),
    },
    "SegmentSummary": {
        "tier": Leaf(lambda ctx, s, args: SEGMENT_TIERS.to_public(Tier[s["tier"]]).name),
        "customers": Leaf(lambda ctx, s, args: s["customers"]),
        "totalBalance": Leaf(lambda ctx, s, args: str(Decimal(s["totalBalance"]))),
    },
    "RiskLevelSummary": {
        "level": Leaf(lambda ctx, s, args: RISK_LEVELS.to_public(RiskLevel[s["level"]]).name),
        "customers": Leaf(lambda ctx, s, args: s["customers"]),
    },
    "PageInfo": {
        "hasNextPage": Leaf(lambda ctx, d, args: d.has_next),
        "hasPreviousPage": Leaf(lambda ctx, d, args: d.has_previous),
        "startCursor": Leaf(lambda ctx, d, args: d.start_cursor),
        "endCursor": Leaf(lambda ctx, d, args: d.end_cursor),
    },
    "PersonConnection": _connection_fields(),
    "TransactionConnection": _connection_fields(),
    "PersonEdge": EDGE,
    "TransactionEdge": EDGE,
}

NODE_TYPES: dict[VertexLabel, str] = {
    PERSON: "Person", ACCOUNT: "Account", ADDRESS: "Address", PHONE: "Phone", TRANSACTION: "Transaction",
}
"""The GraphQL type of each vertex label, for the abstract ``node`` field."""
