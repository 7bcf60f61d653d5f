"""The limits every GraphQL document meets before graphql-core validates or runs it.

One Strawberry extension, in the order the checks are cheapest:

1. tokens, counted by graphql-core's own lexer (``parse(max_tokens=)``, comments included),
   which gives up as soon as the limit is passed; the parser's nesting bound (200) too.
   Documents that parse are cached by text, so this also does what ``ParserCache`` did;
2. fragment cycles, aliases and depth, measured with every fragment spread expanded but each
   fragment walked once (``document_shape``);
3. argument values: string and list sizes, amounts' text (``argument_values``);
4. the estimated cost against the request's budget (``query_cost``); the budget comes from
   ``budget_for(context)``, so roles can have their own (``C360_MAX_COST`` by default).

A refusal is a GraphQL error with ``extensions.code`` (``QUERY_TOO_COMPLEX``,
``BAD_USER_INPUT``, ``GRAPHQL_VALIDATION_FAILED``) and ``data: null``; no resolver has run
and graphql-core's validation, which is itself expensive on hostile documents, never starts.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    parse,
)
from strawberry.extensions import SchemaExtension

from customer360.auth.argument_values import ValueLimits, argument_problem
from customer360.auth.document_shape import (
    FragmentCycle,
    Shape,
    executed_operations,
    measure_shape,
)
from customer360.auth.query_cost import CostModel, estimate_cost
from customer360.config import Limits
from customer360.per_document import PerDocument

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
BAD_USER_INPUT = "BAD_USER_INPUT"
INVALID = "GRAPHQL_VALIDATION_FAILED"

Budget = Callable[[Any], int]
"""The cost budget of one request, from its context (the lead's roles give their own)."""


class QueryRefused(GraphQLError):
    """A document refused before validation and execution; ``extensions`` say why in figures."""

    def __init__(self, message: str, code: str, **details: Any) -> None:
        super().__init__(message, extensions={"code": code, **details})


_MODELS: weakref.WeakKeyDictionary[GraphQLSchema, dict[int, CostModel]] = weakref.WeakKeyDictionary()


def cost_model(schema: GraphQLSchema, max_page_size: int) -> CostModel:
    """One cost model per schema and page size: the introspection figures are read once."""
    models = _MODELS.setdefault(schema, {})
    if max_page_size not in models:
        models[max_page_size] = CostModel.for_schema(schema, max_page_size)
    return models[max_page_size]


_TOO_MANY_TOKENS = "tokens. Parsing aborted."
_NESTED_TOO_DEEPLY = "nested too deeply"


PARSE_CACHE_SIZE = 1000
"""Documents kept parsed, by text (a front-end sends the same few again and again)."""
CACHED_TEXT = 16_384
"""Only documents up to this many characters are kept: a thousand of them stay small."""


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse_cached(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)  # a refusal raises, and is not cached


def parse_within_limits(query: str, limits: Limits, **parse_options: Any) -> DocumentNode:
    """The document, parsed by graphql-core with ``max_tokens``: its lexer gives up as soon
    as the count (comments included, so padding with comments does not help) passes the
    limit, and its parser at 200 levels of nesting. Those two refusals come back as
    :class:`QueryRefused` with a code; any other syntax error is raised as it is. Documents
    that parse are cached by text (this replaces Strawberry's ``ParserCache``)."""
    options = {**parse_options, "max_tokens": limits.max_tokens}
    try:
        if len(query) <= CACHED_TEXT and set(options) == {"max_tokens"}:
            return _parse_cached(query, limits.max_tokens)
        return parse(query, **options)
    except GraphQLSyntaxError as error:
        if _TOO_MANY_TOKENS in error.message:
            raise QueryRefused(
                f"the document has more than {limits.max_tokens:,} tokens (C360_MAX_TOKENS); "
                "send a smaller one: reuse parts with fragments and pass values as variables",
                TOO_COMPLEX, limit=limits.max_tokens,
            ) from None
        if _NESTED_TOO_DEEPLY in error.message:
            raise QueryRefused(
                "the document is nested too deeply to be read (brackets inside brackets, 200 levels)",
                TOO_COMPLEX,
            ) from None
        raise


_shapes: PerDocument[tuple[list[OperationDefinitionNode], Shape | FragmentCycle]] = PerDocument()


def _shape(document: DocumentNode, operation_name: str | None) -> tuple[list[OperationDefinitionNode],
                                                                         Shape | FragmentCycle]:
    """The operations that will run and their shape (or the fragment cycle that stops them):
    the text alone decides them, so they are worked out once per parsed document."""
    kept = _shapes.get(document, operation_name)
    if kept is None:
        operations = executed_operations(document, operation_name)
        try:
            shape: Shape | FragmentCycle = measure_shape(document, operations)
        except FragmentCycle as cycle:
            shape = cycle
        kept = (operations, shape)
        _shapes.put(document, kept, operation_name)
    return kept


def refusal(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    limits: Limits,
    max_depth: int,
    max_page_size: int,
    budget: int,
) -> QueryRefused | None:
    """Why this document may not run, or None. Linear in the request's size (the cost
    estimate: in its size times the two ways an introspection list can be counted). What the
    text alone decides (shape) and the cost estimate are kept per document, so a repeat costs
    its argument checks and a lookup."""
    operations, shape = _shape(document, operation_name)
    if isinstance(shape, FragmentCycle):
        cycle = shape
        return QueryRefused(
            f"fragment {cycle.cycle[0]!r} spreads itself ({' -> '.join(cycle.cycle)}); "
            "a fragment may not include itself, directly or through others",
            INVALID, fragments=list(cycle.cycle),
        )
    if shape.aliases > limits.max_aliases:
        return QueryRefused(
            f"the operation uses {shape.aliases:,} aliases (fragments expanded); at most "
            f"{limits.max_aliases:,} are allowed (C360_MAX_ALIASES)",
            TOO_COMPLEX, aliases=shape.aliases, limit=limits.max_aliases,
        )
    if shape.depth > max_depth:
        return QueryRefused(
            f"the operation exceeds maximum operation depth of {max_depth} (C360_MAX_DEPTH): "
            f"it is {shape.depth} levels deep, fragments expanded",
            TOO_COMPLEX, depth=shape.depth, limit=max_depth,
        )
    problem = argument_problem(
        schema, document, operations, variables,
        ValueLimits(limits.max_argument_length, limits.max_list_argument),
    )
    if problem is not None:
        return QueryRefused(str(problem), BAD_USER_INPUT, field=problem.field, argument=problem.argument)
    estimate = estimate_cost(cost_model(schema, max_page_size), document, operations, variables)
    if estimate.total > budget:
        return QueryRefused(
            f"the query is too expensive: its estimated cost is {estimate.total:,} and this "
            f"request's budget is {budget:,}; the most expensive path is {estimate.path_text()}. "
            "Ask for smaller pages (first:), fewer nested lists or fewer aliases",
            TOO_COMPLEX, cost=estimate.total, budget=budget, path=list(estimate.path),
        )
    return None


class DocumentLimits(SchemaExtension):
    """Refuses, before validation, a document that is too big, too deep, too expensive for
    the request's budget, or whose arguments are too big (see the module docstring)."""

    def __init__(
        self,
        *,
        limits: Limits,
        max_depth: int,
        max_page_size: int,
        budget_for: Budget | None = None,
        execution_context: Any = None,
    ) -> None:
        self.limits = limits
        self.max_depth = max_depth
        self.max_page_size = max_page_size
        self.budget_for = budget_for or (lambda context: limits.max_cost)
        if execution_context is not None:
            self.execution_context = execution_context

    def on_operation(self) -> Iterator[None]:
        # Whoever else parses this request's document (a parser cache) parses within the limit too.
        self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = parse_within_limits(context.query, self.limits, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            refused = refusal(
                context.schema._schema, context.graphql_document, context.operation_name,
                context.variables, self.limits, self.max_depth, self.max_page_size,
                self.budget_for(context.context),
            )
            if refused is not None:
                raise refused
        yield
