"""GraphQL types and root fields for search and matching: ``searchCustomers`` and
``matchCustomer`` (``Person.possibleDuplicates`` is in ``types.py``; the match types both
share are in ``matching.py``). The work is in :mod:`customer360.resolvers.search`.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from customer360.resolvers import search as resolve
from customer360.schema.enums import MATCH_KINDS, SEARCH_FIELDS, MatchKind, SearchField
from customer360.schema.matching import CustomerMatch
from customer360.schema.relay import After, Before, PageInfo, page_args
from customer360.schema.types import Person


@strawberry.type(description="One part of the search text that matched one field of the customer.")
class SearchMatch:
    field: SearchField = strawberry.field(description="The customer's field it matched.")
    kind: MatchKind = strawberry.field(description="How it matched.")
    query: str = strawberry.field(description="The part of the text (normalised: a word, a phone as digits, an ISO date).")
    value: str | None = strawberry.field(description=(
        "The customer's value it matched, as the caller's role and purpose allow (masked, or null when denied)."
    ))
    similarity: float = strawberry.field(description="0 to 1.")


@strawberry.type(description="One customer found, with how well and where the text matched.")
class CustomerSearchEdge:
    cursor: str = strawberry.field(description="Pass it as 'after' (or 'before') to page from here.")
    score: float = strawberry.field(description="0 to 1: how well the customer matches the whole text.")
    matched: list[SearchMatch] = strawberry.field(description="Which parts of the text matched which fields, and how.")
    record: strawberry.Private[Any]

    @strawberry.field(description="The customer.")
    def node(self) -> Person:
        return Person.of(self.record)


@strawberry.type(description="Customers matching a free-text search, best first.")
class CustomerSearchConnection:
    edges: list[CustomerSearchEdge] = strawberry.field(description="The hits of this page, best first.")
    page_info: PageInfo = strawberry.field(description="Where the page sits among the ranked hits.")

    @classmethod
    def of(cls, data: resolve.SearchConnectionData) -> "CustomerSearchConnection":
        return cls(
            edges=[
                CustomerSearchEdge(
                    cursor=e.cursor, score=e.hit.score, record=e.record,
                    matched=[SearchMatch(field=SEARCH_FIELDS.to_public(m.field), kind=MATCH_KINDS.to_public(m.kind),
                                         query=m.query, value=m.value, similarity=m.similarity)
                             for m in e.hit.matched],
                )
                for e in data.edges
            ],
            page_info=PageInfo(has_previous_page=data.has_previous, has_next_page=data.has_next,
                               start_cursor=data.start_cursor, end_cursor=data.end_cursor),
        )


@strawberry.input(description="What an integration service knows about a person; any subset.")
class CustomerMatchInput:
    first_name: str | None = strawberry.field(default=None, description="Given name (nicknames and typos are tolerated).")
    last_name: str | None = strawberry.field(default=None, description="Family name.")
    date_of_birth: str | None = strawberry.field(default=None, description="YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD.")
    phone: str | None = strawberry.field(default=None, description="Any spelling: (212) 555-0100, +1 212 555 0100...")
    street: str | None = strawberry.field(default=None, description="Street and number (St / Street alike).")
    city: str | None = strawberry.field(default=None, description="City.")
    state: str | None = strawberry.field(default=None, description="Two-letter US state.")
    zip_code: str | None = strawberry.field(default=None, description="ZIP code.")


@strawberry.type
class SearchQuery:
    @strawberry.field(description=(
        "Free-text search over names, addresses, phone numbers and dates of birth, tolerant of typos, "
        "nicknames, phonetic spellings, reordered names, phone formats and street abbreviations; "
        "prefixes from 2 characters (search-as-you-type). Best first."
    ))
    async def search_customers(
        self, info: Info, text: Annotated[str, strawberry.argument(description=(
            f"Names, an address, a phone number or a date of birth, in any order and spelling (at most "
            f"{resolve.MAX_TEXT_LENGTH} characters)."
        ))],
        first: Annotated[int | None, strawberry.argument(description=(
            f"Page forward: this many hits after 'after' (default {resolve.DEFAULT_SEARCH_FIRST}, at most "
            f"{resolve.MAX_SEARCH_FIRST})."
        ))] = None,
        after: After = None,
        last: Annotated[int | None, strawberry.argument(description=(
            f"Page backward: this many hits before 'before' (at most {resolve.MAX_SEARCH_FIRST})."
        ))] = None,
        before: Before = None,
    ) -> CustomerSearchConnection:
        data = await resolve.search_customers(info.context, text, page_args(first, after, last, before))
        return CustomerSearchConnection.of(data)

    @strawberry.field(description=(
        "Customers most likely to be the person described (for onboarding and KYC), each with a "
        "probability and per-field evidence."
    ))
    async def match_customer(
        self, info: Info,
        input: Annotated[CustomerMatchInput, strawberry.argument(description="What is known about the person: any subset.")],
        first: Annotated[int, strawberry.argument(description=f"How many (0 to {resolve.MAX_MATCH_FIRST}).")] = 5,
    ) -> list[CustomerMatch]:
        given = resolve.MatchInput(
            first_name=input.first_name, last_name=input.last_name, date_of_birth=input.date_of_birth,
            phone=input.phone, street=input.street, city=input.city, state=input.state, zip_code=input.zip_code,
        )
        return [CustomerMatch.of(m, Person.of(m.record)) for m in await resolve.match_customer(info.context, given, first)]
