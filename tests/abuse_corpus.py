"""Requests an attacker would send to take the service down, and what each must get back.

Each case is refused before any resolver runs, with the status and ``extensions.code`` (or,
for Strawberry's own 400s, the plain-text reason) a client can act on. The cases from issue 8
come first, then others in the same spirit. ``tests/integration/test_abuse.py`` sends every
case to the real app; ``benchmarks/abuse_load.py`` sends them in a loop beside ordinary
traffic. Payloads are built when asked for, so importing this module costs nothing.

Ids are those of any generated bank (``P0000001``, ``ACC00000001``): a refused request never
looks them up.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

GRAPHQL = "/graphql"
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Request:
    body: bytes | Callable[[], AsyncIterator[bytes]]  # a callable: sent in chunks, no Content-Length
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    method: str = "POST"
    path: str = GRAPHQL


@dataclass(frozen=True)
class AbuseCase:
    name: str
    what: str  # what it tries, in a few words
    build: Callable[[], Request]
    status: int  # the HTTP status it must get
    code: str | None  # the error's extensions.code (JSON errors); None for Strawberry's text 400s
    says: str  # part of the message the client reads


def graphql(query: str, variables: dict | None = None) -> Request:
    return Request(json.dumps({"query": query, "variables": variables or {}}).encode())


def raw(body: bytes) -> Request:
    return Request(body)


def cursor(ordering: str, value: object, key: str = "TX0000000001") -> str:
    payload = json.dumps({"o": ordering, "v": value, "k": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def aliases(count: int, first: int, selection: str) -> str:
    return "{" + " ".join(f"a{n}: customers(first: {first}) {selection}" for n in range(count)) + "}"


def fan_out(levels: int, leaf: str = "__typename") -> str:
    """Each fragment spreads the next one twice: 2^levels leaves in about 40 bytes a level."""
    fragments = "\n".join(f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(levels))
    return f"query FanOut {{ ...F0 }}\n{fragments}\nfragment F{levels} on Query {{ {leaf} }}"


def nested(levels: int) -> str:
    return '{ customer(id: "P0000001") { ' + "accounts { owner { " * levels + "id" + " } }" * levels + " } }"


async def chunks(total: int, size: int = 16_384) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


PERSON = "{ edges { node { id name ssn dateOfBirth } } }"
WIDE_PERSON = "{ totalCount pageInfo { hasNextPage } edges { cursor node { id name firstName lastName ssn dateOfBirth } } }"
TX_AFTER = 'query($after: String) { customer(id: "P0000001") { transactions(first: 5, after: $after) { totalCount } } }'

CORPUS: tuple[AbuseCase, ...] = (
    # ---- the cases of issue 8
    AbuseCase(
        "aliases_1000_x_customers_500", "1,000 aliases of customers(first: 500), about 85 KB",
        lambda: graphql(aliases(1000, 500, PERSON)), 200, "QUERY_TOO_COMPLEX", "tokens (C360_MAX_TOKENS)",
    ),
    AbuseCase(
        "aliases_50_x_customers_500", "50 aliases of customers(first: 500)",
        lambda: graphql(aliases(50, 500, "{ edges { node { id } } }")), 200, "QUERY_TOO_COMPLEX",
        "aliases (fragments expanded)",
    ),
    AbuseCase(
        "fragment_fan_out_2_22", "1 KB whose fragments each spread the next twice: 2^22 spreads",
        lambda: graphql(fan_out(22)), 200, "QUERY_TOO_COMPLEX", "estimated cost is 4,194,304",
    ),
    AbuseCase(
        "amount_1e999997", "an 11-byte amount that is a million-digit number",
        lambda: graphql('{ customers(first: 1, filter: {minTotalBalance: "1e999997"}) { totalCount } }'),
        200, "BAD_USER_INPUT", "customers: argument 'filter.minTotalBalance' has an absurd exponent",
    ),
    AbuseCase(
        "amount_1e309_variable", "1e309 in a variable (an overflow in SQLite once in cents)",
        lambda: graphql(
            "query($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }",
            {"f": {"minTotalBalance": "1e309"}},
        ),
        200, "BAD_USER_INPUT", "customers: argument 'filter.minTotalBalance' (variable $f) is too large",
    ),
    AbuseCase(
        "amount_5000_digits", "an amount of 5,000 digits",
        lambda: graphql('{ customer(id: "P0000001") { transactions(filter: {minAmount: "%s"}) { totalCount } } }' % ("9" * 5000)),
        200, "BAD_USER_INPUT", "Person.transactions: argument 'filter.minAmount' is too long for an amount",
    ),
    AbuseCase(
        "cursor_list_for_a_timestamp", "a well-formed cursor whose sort value is a list where a timestamp belongs",
        lambda: graphql(TX_AFTER, {"after": cursor("timestamp:desc", [1, 2])}),
        200, "BAD_USER_INPUT", "Person.transactions: argument 'after' (variable $after) is not a cursor returned by this field",
    ),
    AbuseCase(
        "cursor_string_for_a_balance", "a well-formed cursor whose sort value is a string where a balance belongs",
        lambda: graphql('{ customers(after: "%s", orderBy: {field: TOTAL_BALANCE}) { totalCount } }'
                        % cursor("total_balance:asc", "lots", "P0000001")),
        200, "BAD_USER_INPUT", "customers: argument 'after' is not a cursor returned by this field",
    ),
    AbuseCase(
        "body_json_string", "a request body that is a JSON string",
        lambda: raw(b'"{ __typename }"'), 400, "BAD_REQUEST", "must be a JSON object with a `query` string, got a string",
    ),
    AbuseCase(
        "body_10_mb", "a 10 MB body, declared",
        lambda: raw(b" " * 10_000_000), 413, "PAYLOAD_TOO_LARGE", "larger than 262,144 bytes",
    ),
    # ---- more of the same spirit
    AbuseCase(
        "cost_20_aliases_x_customers_500", "20 aliases of a wide customers(first: 500), under the alias limit",
        lambda: graphql(aliases(20, 500, WIDE_PERSON)), 200, "QUERY_TOO_COMPLEX", "request's budget is 100,000",
    ),
    AbuseCase(
        "cost_nested_pages", "500 customers x their accounts x 500 payments each",
        lambda: graphql("{ customers(first: 500) { edges { node { accounts { sent(first: 500) { edges { node { id amount } } } } } } } }"),
        200, "QUERY_TOO_COMPLEX", "most expensive path is customers x500 > edges > node > accounts x10 > sent x500",
    ),
    AbuseCase(
        "cost_neighbourhoods", "fifteen 4-hop neighbourhoods of 1,000 vertices with every property",
        lambda: graphql("{" + " ".join(
            f'n{n}: neighborhood(id: "P0000001", depth: 4, limit: 1000) {{ nodes {{ id label properties }} edges {{ source target label }} }}'
            for n in range(15)) + "}"),
        200, "QUERY_TOO_COMPLEX", "estimated cost",
    ),
    AbuseCase(
        "fragment_fan_out_aliased", "the fan-out with an alias at the bottom: 2^20 aliases",
        lambda: graphql(fan_out(20, "t: __typename")), 200, "QUERY_TOO_COMPLEX", "1,048,576 aliases",
    ),
    AbuseCase(
        "fragment_cycle", "fragments that spread each other",
        lambda: graphql("query Loop { ...A } fragment A on Query { ...B } fragment B on Query { portfolio { customers } ...A }"),
        200, "GRAPHQL_VALIDATION_FAILED", "fragment 'A' spreads itself (A -> B -> A)",
    ),
    AbuseCase(
        "deep_nesting", "accounts > owner > accounts > ... 40 levels",
        lambda: graphql(nested(20)), 200, "QUERY_TOO_COMPLEX", "exceeds maximum operation depth of 12",
    ),
    AbuseCase(
        "selections_150_deep", "150 nested selections of unknown fields",
        lambda: graphql("{" + "a {" * 150 + "b" + "}" * 150 + "}"), 200, "QUERY_TOO_COMPLEX", "it is 150 levels deep",
    ),
    AbuseCase(
        "brackets_250_deep", "250 nested lists in an argument, past the parser's recursion",
        lambda: graphql('{ neighborhood(id: "P0000001", edgeLabels: ' + "[" * 250 + "OWNS" + "]" * 250 + ") { truncated } }"),
        200, "QUERY_TOO_COMPLEX", "nested too deeply",
    ),
    AbuseCase(
        "introspection_bomb", "__schema > types > fields > type > fields > ... five times",
        lambda: graphql("{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } } }"),
        200, "QUERY_TOO_COMPLEX", "most expensive path is __schema > types",
    ),
    AbuseCase(
        "introspection_type_bomb", "__type(name: Person) > fields > type > ofType > ofType > fields ... (wrappers dodge the depth count)",
        lambda: graphql('{ __type(name: "Person") { ' + "fields { type { ofType { ofType { " * 4 + "name" + " } } } }" * 4 + " } }"),
        200, "QUERY_TOO_COMPLEX", "most expensive path is __type > fields",
    ),
    AbuseCase(
        "typename_flood", "5,000 __typename fields",
        lambda: graphql("{" + " __typename" * 5000 + " }"), 200, "QUERY_TOO_COMPLEX", "tokens (C360_MAX_TOKENS)",
    ),
    AbuseCase(
        "comment_flood", "a short query padded with 50,000 comment lines",
        lambda: graphql("#\n" * 50_000 + "{ __typename }"), 200, "QUERY_TOO_COMPLEX", "tokens (C360_MAX_TOKENS)",
    ),
    AbuseCase(
        "many_operations", "600 operations in one document",
        lambda: graphql(" ".join(f"query Q{n} {{ __typename }}" for n in range(600))),
        200, "QUERY_TOO_COMPLEX", "tokens (C360_MAX_TOKENS)",
    ),
    AbuseCase(
        "directive_flood", "the same directive 400 times on one field",
        lambda: graphql("{ portfolio" + " @include(if: true)" * 400 + " { customers } }"),
        200, "QUERY_TOO_COMPLEX", "tokens (C360_MAX_TOKENS)",
    ),
    AbuseCase(
        "long_string", "a 100,000-character search string",
        lambda: graphql('query($n: String) { customers(filter: {nameContains: $n}) { totalCount } }', {"n": "x" * 100_000}),
        200, "BAD_USER_INPUT", "customers: argument 'filter.nameContains' (variable $n) is too long: 100,000 characters",
    ),
    AbuseCase(
        "huge_list_variable", "20,000 edge labels in a variable",
        lambda: graphql('query($l: [EdgeLabel!]) { neighborhood(id: "P0000001", edgeLabels: $l) { truncated } }',
                        {"l": ["OWNS"] * 20_000}),
        200, "BAD_USER_INPUT", "neighborhood: argument 'edgeLabels' (variable $l) has 20,000 items",
    ),
    AbuseCase(
        "amount_json_infinity", "1e309 as a JSON number, which Python reads as infinity",
        lambda: raw(b'{"query": "query($m: Decimal) { customers(filter: {minTotalBalance: $m}) { totalCount } }", "variables": {"m": 1e309}}'),
        200, "BAD_USER_INPUT", "is not a finite number",
    ),
    AbuseCase(
        "int_of_20_digits", "a page size of 20 digits",
        lambda: graphql("{ customers(first: 12345678901234567890) { totalCount } }"),
        200, "BAD_USER_INPUT", "customers: argument 'first' is not a 32-bit integer",
    ),
    AbuseCase(
        "cursor_too_long", "a 5,000-character cursor",
        lambda: graphql(TX_AFTER, {"after": "A" * 5000}),
        200, "BAD_USER_INPUT", "is longer than any cursor this service returns",
    ),
    AbuseCase(
        "body_json_number", "a request body that is a JSON number",
        lambda: raw(b"42"), 400, "BAD_REQUEST", "must be a JSON object with a `query` string, got a number",
    ),
    AbuseCase(
        "body_batch_array", "a batch: an array of 1,000 operations",
        lambda: raw(json.dumps([{"query": "{ portfolio { customers } }"}] * 1000).encode()),
        400, "BAD_REQUEST", "batched requests (a JSON array) are not supported",
    ),
    AbuseCase(
        "body_nested_json", "a body of 100,000 nested JSON arrays",
        lambda: raw(b"[" * 100_000 + b"]" * 100_000), 400, "BAD_REQUEST", "nested too deeply",
    ),
    AbuseCase(
        "body_huge_json_number", "a body holding a 5,000-digit JSON number",
        lambda: raw(b'{"query": "{ __typename }", "variables": {"x": ' + b"9" * 5000 + b"}}"),
        400, "BAD_REQUEST", "a number too long to be read",
    ),
    AbuseCase(
        "body_chunked_1_mb", "1 MB sent in chunks without a Content-Length",
        lambda: Request(lambda: chunks(1_000_000)), 413, "PAYLOAD_TOO_LARGE", "larger than 262,144 bytes",
    ),
)
