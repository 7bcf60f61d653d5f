"""Resolver logic for search and matching: ``searchCustomers``, ``matchCustomer``,
``Person.possibleDuplicates``. No Strawberry types and no backend code here.

Hits come back from the index as person ids with scores and explanations; the persons
themselves are read through the request's batching loader (one graph call for all hits), so a
hit shows exactly what the ``Person`` type shows to this caller. Searching is a read of
personal data: it needs a purpose of access, and every value a hit or its evidence shows
passes through the request's access (:func:`visible`), as every ``Person`` field does; the
index never holds the SSN. :func:`audit_search` is told the search text or match input and
the customers returned, like any read of personal data.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from customer360.graphstore.plan import Keyset, VertexLabel
from customer360.resolvers.context import RequestContext
from customer360.resolvers.cursors import encode_cursor
from customer360.resolvers.errors import UserError
from customer360.resolvers.paging import PageArgs, page_request
from customer360.search.normalise import parse_date, phone_key
from customer360.search.protocol import (
    AddressQuery,
    Evidence,
    FieldMatch,
    MatchQuery,
    MatchResult,
    SearchField,
    SearchHit,
    SearchIndex,
    SearchRequest,
)

audit_log = logging.getLogger("customer360.audit")

DEFAULT_SEARCH_FIRST = 10
MAX_SEARCH_FIRST = 100
MAX_SEARCH_DEPTH = 300
"""Results reachable by paging: the index re-ranks at most this many candidates."""
MIN_SEARCH_WINDOW = 50
MAX_TEXT_LENGTH = 200
MAX_MATCH_FIRST = 50
MAX_DUPLICATES_FIRST = 50


POLICY_FIELDS: dict[SearchField, str] = {
    SearchField.FIRST_NAME: "Person.firstName", SearchField.LAST_NAME: "Person.lastName",
    SearchField.DATE_OF_BIRTH: "Person.dateOfBirth", SearchField.PHONE: "Phone.number",
    SearchField.STREET: "Address.street", SearchField.CITY: "Address.city", SearchField.STATE: "Address.state",
    SearchField.ZIP_CODE: "Address.zipCode",
}
"""The field of the access policy each searchable field is."""


# ------------------------------------------------------------------ hooks


def visible(ctx: RequestContext, field: SearchField, value: str | None) -> str | None:
    """What the caller may see of a person's ``field``: masked, or None when denied."""
    return None if value is None else ctx.access.visible(POLICY_FIELDS[field], value)


def require_purpose(ctx: RequestContext) -> None:
    """Searching reads personal data: refused without a purpose, or for a caller denied names."""
    ctx.access.access("Person.name")


def audit_search(ctx: RequestContext, operation: str, query: str, person_ids: Sequence[str]) -> None:
    """The audit hook: who searched for what and which customers it returned."""
    audit_log.info("%s %r returned %d customers: %s", operation, query, len(person_ids), ", ".join(person_ids[:50]))


# ------------------------------------------------------------------ helpers


def _index(ctx: RequestContext) -> SearchIndex:
    require_purpose(ctx)
    return ctx.search


async def _persons(ctx: RequestContext, person_ids: Sequence[str]) -> dict[str, Any]:
    """Persons by id through the batching loader (one graph call for the lot); ids the graph
    no longer has (an index not yet in step) are left out."""
    records = await asyncio.gather(*(ctx.loaders.vertex(VertexLabel.PERSON, key) for key in person_ids))
    return {key: record for key, record in zip(person_ids, records) if record is not None}


def _masked_match(ctx: RequestContext, match: FieldMatch) -> FieldMatch:
    value = visible(ctx, match.field, match.value)
    return match if value == match.value else FieldMatch(match.field, match.kind, match.query, value or "", match.similarity)


def _masked_evidence(ctx: RequestContext, evidence: Evidence) -> Evidence:
    value = visible(ctx, evidence.field, evidence.candidate_value)
    if value == evidence.candidate_value:
        return evidence
    return Evidence(evidence.field, evidence.input_value, value, evidence.similarity, evidence.agreement,
                    evidence.level, evidence.weight)


# ------------------------------------------------------------------ searchCustomers


@dataclass(frozen=True, slots=True)
class SearchEdgeData:
    cursor: str
    hit: SearchHit
    record: Any  # model.Person


@dataclass(frozen=True, slots=True)
class SearchConnectionData:
    edges: list[SearchEdgeData]
    has_next: bool
    has_previous: bool

    @property
    def start_cursor(self) -> str | None:
        return self.edges[0].cursor if self.edges else None

    @property
    def end_cursor(self) -> str | None:
        return self.edges[-1].cursor if self.edges else None


def _ordering(text: str) -> str:
    """Cursors are tied to the text they paged: another text's cursor is refused."""
    return "search:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _window(field: str, ordering: str, args: PageArgs) -> tuple[int, int, bool]:
    """(offset, size, backward) in the ranked results; a cursor holds its edge's 1-based rank."""
    request = page_request(field, ordering, args, MAX_SEARCH_FIRST, DEFAULT_SEARCH_FIRST)
    argument = "before" if request.backward else "after"
    if request.backward and request.keyset is None:
        raise UserError(f"{field}: results are ranked best first; page backward from a cursor ('before')")
    rank = 0
    if request.keyset is not None:
        value = request.keyset.value
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_SEARCH_DEPTH:
            raise UserError(f"{field}: argument '{argument}' is not a cursor returned by this field")
        rank = value
    if request.backward:
        offset = max(0, rank - 1 - request.limit)
        return offset, rank - 1 - offset, True
    return rank, request.limit, False


async def search_customers(ctx: RequestContext, text: str, args: PageArgs) -> SearchConnectionData:
    field = "searchCustomers"
    if len(text) > MAX_TEXT_LENGTH:
        raise UserError(f"{field}: argument 'text' must be at most {MAX_TEXT_LENGTH} characters, got {len(text)}")
    ordering = _ordering(text.strip())
    offset, first, backward = _window(field, ordering, args)
    window = min(MAX_SEARCH_DEPTH, max(MIN_SEARCH_WINDOW, offset + first + 1))
    request = SearchRequest.parse(text, window)
    if request.empty:
        raise UserError(
            f"{field}: argument 'text' must contain a word of at least 2 letters, a number, a phone number "
            f"or a date, got {text!r}"
        )
    if offset >= MAX_SEARCH_DEPTH or first == 0:
        return SearchConnectionData([], has_next=backward, has_previous=offset > 0)
    first = min(first, MAX_SEARCH_DEPTH - offset)
    page = await _index(ctx).search(request, first, offset)
    persons = await _persons(ctx, [hit.person_id for hit in page.hits])
    edges = []
    for position, hit in enumerate(page.hits, start=offset + 1):
        record = persons.get(hit.person_id)
        if record is None:
            continue
        masked = SearchHit(hit.person_id, hit.score, tuple(_masked_match(ctx, m) for m in hit.matched))
        edges.append(SearchEdgeData(encode_cursor(ordering, Keyset(position, hit.person_id)), masked, record))
    has_next = backward or (page.has_next and offset + len(page.hits) < MAX_SEARCH_DEPTH)
    audit_search(ctx, field, text, [edge.hit.person_id for edge in edges])
    return SearchConnectionData(edges, has_next=has_next, has_previous=offset > 0)


# ------------------------------------------------------------------ matchCustomer


@dataclass(frozen=True, slots=True)
class MatchInput:
    """``CustomerMatchInput`` as plain values (the schema copies it here)."""

    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: str | None = None
    phone: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


@dataclass(frozen=True, slots=True)
class MatchData:
    result: MatchResult
    record: Any  # model.Person


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def match_query(field: str, given: MatchInput) -> MatchQuery:
    """Validate the input: every field optional, but at least one given; a date or phone that
    cannot be read is an error naming the field, not a silent non-match."""
    date_of_birth = _blank(given.date_of_birth)
    iso = None
    if date_of_birth is not None:
        iso = parse_date(date_of_birth)
        if iso is None:
            raise UserError(
                f"{field}: input.dateOfBirth {date_of_birth!r} is not a date "
                "(expected YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD)"
            )
    phone = _blank(given.phone)
    phones: tuple[str, ...] = ()
    if phone is not None:
        key = phone_key(phone)
        if key is None:
            raise UserError(f"{field}: input.phone {phone!r} is not a phone number")
        phones = (key,)
    address = AddressQuery(_blank(given.street), _blank(given.city), _blank(given.state), _blank(given.zip_code))
    query = MatchQuery(
        first_name=_blank(given.first_name), last_name=_blank(given.last_name), date_of_birth=iso, phones=phones,
        addresses=() if address.empty else (address,),
    )
    if query.empty:
        raise UserError(f"{field}: input needs at least one of firstName, lastName, dateOfBirth, phone, street, city, state, zipCode")
    return query


def _masked_result(ctx: RequestContext, result: MatchResult) -> MatchResult:
    return MatchResult(result.person_id, result.score, tuple(_masked_evidence(ctx, e) for e in result.evidence))


async def match_customer(ctx: RequestContext, given: MatchInput, first: int) -> list[MatchData]:
    field = "matchCustomer"
    if first < 0 or first > MAX_MATCH_FIRST:
        raise UserError(f"{field}: argument 'first' must be between 0 and {MAX_MATCH_FIRST}, got {first}")
    query = match_query(field, given)
    if first == 0:
        return []
    results = await _index(ctx).match(query, first)
    persons = await _persons(ctx, [r.person_id for r in results])
    found = [MatchData(_masked_result(ctx, r), persons[r.person_id]) for r in results if r.person_id in persons]
    audit_search(ctx, field, repr(given), [m.result.person_id for m in found])
    return found


# ------------------------------------------------------------------ Person.possibleDuplicates


async def possible_duplicates(ctx: RequestContext, person_id: str, first: int) -> list[MatchData]:
    """Batched per selection level: every person's duplicates in one index request."""
    field = "Person.possibleDuplicates"
    if first < 0 or first > MAX_DUPLICATES_FIRST:
        raise UserError(f"{field}: argument 'first' must be between 0 and {MAX_DUPLICATES_FIRST}, got {first}")
    if first == 0:
        return []
    index = _index(ctx)
    min_score = ctx.settings.min_duplicate_score

    async def batch(keys: list[str]) -> list[list[MatchResult]]:
        found = await index.possible_duplicates(keys, first, min_score)
        return [found.get(key, []) for key in keys]

    results = await ctx.loaders.load(("search.possible_duplicates", first), batch, person_id)
    persons = await _persons(ctx, [r.person_id for r in results])
    found = [MatchData(_masked_result(ctx, r), persons[r.person_id]) for r in results if r.person_id in persons]
    audit_search(ctx, field, person_id, [m.result.person_id for m in found])
    return found
