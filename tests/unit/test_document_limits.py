"""The pure analysis behind the document limits: tokens, fragment cycles, aliases and depth with
fragments expanded, the cost estimate, and the argument checks, each on graphql-core's AST.

Linearity is shown the only way a test can without timing: documents whose expansion is
astronomically large (2^60 fields) are measured exactly, which an algorithm that expands
fragments could never finish.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from graphql import GraphQLSyntaxError, get_introspection_query, parse
from strawberry.extensions.query_depth_limiter import determine_depth, get_fragments

from customer360.auth.argument_values import ValueLimits, argument_problem
from customer360.auth.document_limits import QueryRefused, parse_within_limits, refusal
from customer360.auth.document_shape import (
    FragmentCycle,
    dependency_order,
    executed_operations,
    fragments_of,
    measure_shape,
)
from customer360.auth.query_cost import (
    LIST_ARGUMENT_SIZED,
    LIST_SIZES,
    CostModel,
    estimate_cost,
)
from customer360.config import Limits, Settings
from customer360.graphiql.examples import EXAMPLE_TABS
from customer360.schema import build_schema
from tests.abuse_corpus import cursor, fan_out

SCHEMA = build_schema(Settings())._schema
MODEL = CostModel.for_schema(SCHEMA, max_page_size=500)
VALUES = ValueLimits(max_string=1000, max_list=100)
README = Path(__file__).resolve().parents[2] / "README.md"
INTROSPECTION = get_introspection_query(
    descriptions=True, specified_by_url=True, directive_is_repeatable=True, schema_description=True,
    input_value_deprecation=True,
)


def shape(query: str, operation: str | None = None):
    document = parse(query)
    return measure_shape(document, executed_operations(document, operation))


def cost(query: str, variables: dict | None = None, operation: str | None = None):
    document = parse(query)
    return estimate_cost(MODEL, document, executed_operations(document, operation), variables)


def problem(query: str, variables: dict | None = None) -> str | None:
    document = parse(query)
    found = argument_problem(SCHEMA, document, executed_operations(document, None), variables, VALUES)
    return None if found is None else str(found)


# ------------------------------------------------------------------ tokens


def test_a_document_over_the_token_limit_is_refused_with_a_code() -> None:
    limits = Limits(max_tokens=50)
    assert parse_within_limits("{" + " a" * 48 + " }", limits).definitions
    for padded in ("{" + " a" * 49 + " }", "#\n" * 100_000 + "{ a }"):  # comments count too
        with pytest.raises(QueryRefused) as refused:
            parse_within_limits(padded, limits)
        assert refused.value.extensions == {"code": "QUERY_TOO_COMPLEX", "limit": 50}


def test_nesting_past_the_parsers_bound_is_refused_with_a_code_and_other_syntax_errors_pass() -> None:
    with pytest.raises(QueryRefused, match="nested too deeply"):
        parse_within_limits("{" + "a {" * 300 + "b" + "}" * 300 + "}", Limits())
    with pytest.raises(GraphQLSyntaxError):
        parse_within_limits("{ customers(", Limits())


# ------------------------------------------------------------------ fragments, aliases, depth


def test_fragment_fan_out_is_measured_exactly_without_expanding_it() -> None:
    measured = shape(fan_out(60, "a: __typename"))
    assert measured.aliases == 2**60


def test_the_cost_of_a_fan_out_is_exact_too() -> None:
    estimate = cost(fan_out(60))
    assert estimate.total == 2**60
    assert estimate.path[:2] == ("...F0", "...F1") and estimate.path[-1] == "__typename"


def test_a_long_chain_of_fragments_does_not_exhaust_the_stack() -> None:
    chain = "\n".join(f"fragment F{n} on Query {{ ...F{n + 1} }}" for n in range(5000))
    document = parse("{ ...F0 }\n" + chain + "\nfragment F5000 on Query { __typename }")
    order = dependency_order(fragments_of(document))
    assert order[0] == "F5000" and order[-1] == "F0"


@pytest.mark.parametrize(
    ("query", "cycle"),
    [
        ("{ ...A } fragment A on Query { ...A }", ("A", "A")),
        ("{ ...A } fragment A on Query { x { ...B } } fragment B on X { ...C } fragment C on X { y { ...A } }",
         ("A", "B", "C", "A")),
        ("{ a } fragment Unused on Query { ...Unused2 } fragment Unused2 on Query { ...Unused }",
         ("Unused", "Unused2", "Unused")),
    ],
)
def test_fragment_cycles_are_named(query: str, cycle: tuple[str, ...]) -> None:
    with pytest.raises(FragmentCycle) as found:
        shape(query)
    assert found.value.cycle == cycle


@pytest.mark.parametrize(
    "query",
    [
        "{ a }",
        "{ a { b { c } } d { e } }",
        "{ a { ...F } } fragment F on T { b { c { d } } }",
        "{ ...F } fragment F on Query { a { ... on T { b { ...G } } } } fragment G on U { c { d } }",
        "{ a { __typename } __schema { types { fields { name } } } }",
    ],
)
def test_depth_is_what_strawberrys_query_depth_limiter_counts(query: str) -> None:
    document = parse(query)
    [operation] = executed_operations(document, None)
    expected = determine_depth(operation, get_fragments(document.definitions), 0, 100, None, "q", None)
    assert shape(query).depth == expected


def test_aliases_count_once_per_place_they_are_resolved_from() -> None:
    query = "{ a: x ...F ...F b: y { c: z } } fragment F on Query { d: w }"
    assert shape(query).aliases == 5


def test_only_the_operation_that_runs_is_measured() -> None:
    query = "query Small { a } query Big { a: x b: y c: z }"
    assert shape(query, "Small").aliases == 0
    assert shape(query, "Big").aliases == 3
    assert shape(query).aliases == 3  # no name: Strawberry refuses it; everything is measured


# ------------------------------------------------------------------ cost


def test_a_page_multiplies_what_is_under_it() -> None:
    assert cost("{ customers(first: 500) { edges { node { id name } } } }").total == 1 + 500 * (1 + 1 + 2)


def test_page_sizes_come_from_variables_then_variable_defaults_then_the_schema() -> None:
    query = "query($n: Int = 7) { customers(first: $n) { edges { node { id } } } }"
    assert cost(query, {"n": 3}).total == 1 + 3 * 3
    assert cost(query).total == 1 + 7 * 3
    assert cost("{ customers { edges { node { id } } } }").total == 1 + 20 * 3  # the schema's default
    assert cost("query($n: Int!) { customers(first: $n) { totalCount } }", {"n": "lots"}).total == 1 + 500


def test_an_estimate_kept_for_a_document_answers_only_requests_that_agree_on_what_it_read() -> None:
    """One parsed document, many requests (as from the parse cache): each estimate must be the
    one a fresh document gives for the same variables, whatever was estimated before."""
    query = "query($n: Int = 7, $ids: [ID!]!, $id: ID!) { nodes(ids: $ids) { id } customer(id: $id) { id } " \
            "customers(first: $n) { edges { node { id } } } }"
    document = parse(query)
    operations = executed_operations(document, None)
    requests = [{"n": 3, "ids": ["P1"], "id": "P1"}, {"n": 400, "ids": ["P1"], "id": "P1"},
                {"n": 3, "ids": ["P1", "P2", "P3"], "id": "P1"}, {"ids": ["P1"], "id": "P1"},
                {"n": None, "ids": ["P1"], "id": "P1"}, {"n": True, "ids": ["P1"], "id": "P1"},
                {"n": 1, "ids": ["P1"], "id": "P1"}, {"n": 3, "ids": ["P1"], "id": "P9"}]
    for variables in requests * 2:
        fresh = estimate_cost(MODEL, parse(query), executed_operations(parse(query), None), variables)
        assert estimate_cost(MODEL, document, operations, variables) == fresh, variables
    totals = [estimate_cost(MODEL, document, operations, v).total for v in requests]
    assert len(set(totals)) == 7 and totals[-1] == totals[0]  # only the customer's id does not count


def test_a_page_size_is_never_estimated_above_what_the_server_accepts() -> None:
    assert cost("{ customers(first: 100000) { totalCount } }").total == 1 + 500
    assert cost('{ neighborhood(id: "P1", limit: 5000) { truncated } }').total == 1 + 1000


def test_plain_lists_use_their_known_size_and_aliases_add_up() -> None:
    one = cost('{ customer(id: "P1") { accounts { id } } }').total
    assert one == 1 + 1 + LIST_SIZES["Person.accounts"]
    assert cost('{ a: customer(id: "P1") { accounts { id } } b: customer(id: "P2") { accounts { id } } }').total == 2 * one
    assert cost('{ address(id: "AD1") { residents { id } } }').total == 1 + 1 + 500  # hubs: the server's cap


def test_nodes_costs_one_node_per_id_given() -> None:
    assert cost('{ nodes(ids: ["a", "b", "c"]) { id } }').total == 1 + 3 * 1
    assert cost("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 40}).total == 1 + 40


def test_a_fragment_costs_what_its_text_would() -> None:
    inline = cost("{ customers(first: 9) { edges { node { id accounts { id } } } } }").total
    spread = cost("{ customers(first: 9) { edges { node { ...P } } } } fragment P on Person { id accounts { id } }").total
    assert spread == inline


def test_the_most_expensive_path_is_named() -> None:
    estimate = cost('{ portfolio { customers } big: customers(first: 200) { edges { node { accounts { id } } } } }')
    assert estimate.path == ("big:customers x200", "edges", "node", "accounts x10", "id")


def test_graphiqls_introspection_fits_the_default_budget_and_a_bomb_does_not() -> None:
    assert cost(INTROSPECTION).total < Limits().max_cost / 2
    bomb = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }"
    assert cost(bomb).total > Limits().max_cost


def test_every_example_and_readme_query_fits_the_default_budget() -> None:
    """GraphiQL's tabs and the README tour must keep working under the shipped limits."""
    budget = Limits().max_cost
    documents = [(tab.query, tab.variables) for tab in EXAMPLE_TABS]
    documents += [(query, {}) for query in re.findall(r"```graphql\n(.*?)```", README.read_text(), flags=re.S)]
    assert len(documents) > 10
    for query, variables in documents:
        document = parse(query)
        for operation in executed_operations(document, None):
            name = operation.name.value if operation.name else None
            assert refusal(SCHEMA, document, name, variables, Limits(), 12, 500, budget) is None, query
            assert estimate_cost(MODEL, document, [operation], variables).total <= budget // 5, query


def test_every_list_field_has_a_size_on_purpose() -> None:
    """A new list field without a page argument is costed at the server's cap until it is
    named in LIST_SIZES: this lists them, so the choice is made knowingly."""
    capped = []
    for type_name, named in SCHEMA.type_map.items():
        if type_name.startswith("__") or not hasattr(named, "fields") or type_name.endswith("Input"):
            continue
        for field_name, definition in getattr(named, "fields", {}).items():
            text = str(definition.type) if hasattr(definition, "args") else ""
            if "[" in text and not {"first", "last", "limit"} & set(definition.args):
                key = f"{type_name}.{field_name}"
                if key not in LIST_SIZES and key not in LIST_ARGUMENT_SIZED and not (
                    field_name == "edges" and type_name.endswith("Connection")
                ):
                    capped.append(key)
    assert sorted(capped) == ["Address.residents", "Phone.owners", "SharedAddress.residents", "SharedPhone.owners"]


# ------------------------------------------------------------------ argument values


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        ('{ customers(filter: {minTotalBalance: "1e999997"}) { totalCount } }', None,
         "customers: argument 'filter.minTotalBalance' has an absurd exponent"),
        ("{ customers(filter: {minTotalBalance: 1e309}) { totalCount } }", None,
         "customers: argument 'filter.minTotalBalance' is too large"),
        ('{ customer(id: "P1") { transactions(filter: {maxAmount: "%s"}) { totalCount } } }' % ("9" * 5000), None,
         "Person.transactions: argument 'filter.maxAmount' is too long for an amount"),
        ("query($f: CustomerFilter) { customers(filter: $f) { totalCount } }", {"f": {"maxTotalBalance": "1e16"}},
         "customers: argument 'filter.maxTotalBalance' (variable $f) is too large"),
        ("query($m: Decimal) { customers(filter: {minTotalBalance: $m}) { totalCount } }", {"m": float("inf")},
         "customers: argument 'filter.minTotalBalance' (variable $m) is not a finite number"),
        ('query($m: Decimal = "1e99") { customers(filter: {minTotalBalance: $m}) { totalCount } }', None,
         "customers: argument 'filter.minTotalBalance' (default of variable $m) is too large"),
        ("fragment X on Account { sent(filter: {minAmount: \"1e-9999\"}) { totalCount } } { account(id: \"A\") { ...X } }", None,
         "Account.sent: argument 'filter.minAmount' has more than two decimal places"),
        ('{ customers(filter: {nameContains: "%s"}) { totalCount } }' % ("x" * 1001), None,
         "customers: argument 'filter.nameContains' is too long: 1,001 characters (at most 1,000)"),
        ('query($l: [EdgeLabel!]) { neighborhood(id: "P1", edgeLabels: $l) { truncated } }', {"l": ["OWNS"] * 101},
         "neighborhood: argument 'edgeLabels' (variable $l) has 101 items (at most 100)"),
        ("{ customers(first: 99999999999) { totalCount } }", None, "customers: argument 'first' is not a 32-bit integer"),
        ('{ customers(after: "%s") { totalCount } }' % cursor("name:asc", 12), None,
         "customers: argument 'after' is not a cursor returned by this field"),
        ('query($c: String) { sharedPhones(after: $c) { totalCount } }', {"c": "x" * 2000},
         "sharedPhones: argument 'after' (variable $c) is longer than any cursor this service returns"),
    ],
)
def test_argument_values_that_are_too_big_or_no_amount_are_named(query: str, variables: dict | None, expected: str) -> None:
    found = problem(query, variables)
    assert found is not None and found.startswith(expected), found


def test_one_document_is_judged_again_for_each_requests_variables() -> None:
    """The document's own literals are checked once per parsed document; what each request
    sends is checked every time, and named by the argument that uses it."""
    document = parse("query($m: Decimal, $n: String) { customers(filter: {minTotalBalance: $m, nameContains: $n}) "
                     "{ totalCount } }")
    operations = executed_operations(document, None)

    def judged(variables: dict) -> str | None:
        found = argument_problem(SCHEMA, document, operations, variables, VALUES)
        return None if found is None else str(found)

    for _ in range(2):
        assert judged({"m": "10.50"}) is None
        assert judged({"m": "1e16"}).startswith("customers: argument 'filter.minTotalBalance' (variable $m) is too large")
        assert judged({"n": "x" * 1001}).startswith("customers: argument 'filter.nameContains' (variable $n) is too long")
        assert judged({"m": 1, "n": "Smith"}) is None
    literal = parse('{ customers(filter: {nameContains: "%s"}) { totalCount } }' % ("x" * 1001))
    for _ in range(2):
        assert argument_problem(SCHEMA, literal, executed_operations(literal, None), None, VALUES) is not None
    assert argument_problem(SCHEMA, literal, executed_operations(literal, None), None,
                            replace(VALUES, max_string=2000)) is None  # other limits, judged again


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('{ customers(filter: {minTotalBalance: "999999999999999.99"}) { totalCount } }', None),
        ('{ customers(filter: {minTotalBalance: "abc"}) { totalCount } }', None),  # coercion names it
        ("query($m: Decimal) { customers(filter: {minTotalBalance: $m}) { totalCount } }", {"m": 1234.5}),
        ('{ customers(after: "%s", orderBy: {field: NAME}) { totalCount } }' % cursor("name:asc", ["Doe", "Jo"], "P1"), None),
        ('{ customer(id: "P1") { transactions(after: "%s") { totalCount } } }' % cursor("timestamp:desc", 1700000000), None),
        ('{ sharedAddresses(after: "%s") { totalCount } }' % cursor("shared_address:persons_desc", 4, "AD1"), None),
    ],
)
def test_ordinary_arguments_pass(query: str, variables: dict | None) -> None:
    assert problem(query, variables) is None
