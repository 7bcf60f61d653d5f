"""How much work an operation asks for, estimated from its text before anything runs.

The unit is one field resolved once. A field costs 1, plus the cost of its selections times
how many items it can bring: its page size when it takes one (``first``, ``last``,
``limit``: the literal, the variable's value, else the schema's default, never more than
the server accepts), else a list's known size, else 1. Costs add up over the whole
operation, each alias on its own, so ``customers(first: 500) { edges { node { id name } } }``
costs 1 + 500 x (1 + 1 + 1 + 1) = 2,001 and fifty aliases of it cost fifty times that.
(The page size multiplies everything under the paged field, ``totalCount`` and ``pageInfo``
included: a few fields of overestimate per item, in exchange for one rule a client can
reckon with.)

Fragments are costed once each, in dependency order, and reused wherever they are spread,
so the estimate takes time linear in the document however its fragments fan out, and an
operation that would resolve 2^22 fields is refused for what it is.

Plain lists without a page size use :data:`LIST_SIZES` (see there why each number), and the
server's maximum page size for any list not named there. Introspection lists use the
schema's own figures: the largest (one type's ``fields``) or, where a list enumerates every
type or every field (``__schema { types { fields { args } } }``, which GraphiQL asks for),
the average, which times the number enumerated is the exact total.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    Undefined,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_list_type,
)

from customer360.auth.document_shape import dependency_order, fragments_of
from customer360.graphstore.network_plan import EVIDENCE_CAP, Relation
from customer360.per_document import PerDocument
from customer360.resolvers.network import (
    MAX_NEIGHBORHOOD_LIMIT,
    MAX_PATH_DEPTH,
    MAX_PATHS,
)
from customer360.resolvers.search import MAX_TEXT_LENGTH
from customer360.search.protocol import SearchField

RELATION_KINDS = len(Relation)
SEARCH_FIELD_COUNT = len(SearchField)
RULE_LINES = 10
"""Reasons behind one segment, risk score or recommendation: one line per rule that fired;
the shipped rules give at most five (four risk rules and the level)."""

LIST_SIZES: dict[str, int] = {
    # A person's own accounts, addresses and phones: a retail customer has a handful (the
    # demo bank at most 5, 2 and 2). These lists are cut at the maximum page size, but a
    # bigger fan-out can only come from the bank's own data, not from a client's request;
    # what slips past the estimate still meets the time limit and the response size cap.
    "Person.accounts": 10,
    "Person.addresses": 5,
    "Person.phones": 5,
    # Shared addresses and phones are where hubs live (a branch address used for many
    # customers, a call-centre number): their lists are costed at the server's cap, below.
    "Person.recommendations": 3,  # one per product (enum Product)
    "Segment.reasons": RULE_LINES,
    "Risk.reasons": RULE_LINES,
    "Portfolio.segments": 4,  # enum SegmentTier
    "Portfolio.riskLevels": 3,  # enum RiskLevel
    "RelatedCustomer.via": RELATION_KINDS,
    "RelatedCustomer.relations": RELATION_KINDS,
    "RelatedCustomer.evidence": RELATION_KINDS * (EVIDENCE_CAP + 1),  # items and "... and N more"
    "RelationEvidence.items": EVIDENCE_CAP,
    # neighborhood(limit:) already multiplies everything under it by its limit
    "Neighborhood.nodes": 1,
    "Neighborhood.edges": 1,
    "PathResult.paths": MAX_PATHS * (MAX_PATH_DEPTH + 1),  # [[PathStep]]: paths x steps
    # Search: one evidence line per field of the match input, one match per word of the
    # search text (at most MAX_TEXT_LENGTH characters, so at most half as many words).
    "CustomerMatch.evidence": SEARCH_FIELD_COUNT,
    "CustomerSearchEdge.matched": MAX_TEXT_LENGTH // 2 + 1,
    # The audit record: an event's roles (a principal holds a few), the distinct field paths
    # of one customer in one response (a few dozen at most), a load's files (five seed files
    # and the odd stranger in the folder).
    "AuditEvent.roles": 5,
    "AuditEvent.fieldsClear": 50,
    "AuditEvent.fieldsMasked": 50,
    "AuditEvent.files": 10,
}

PAGE_ARGUMENTS = ("first", "last", "limit")
"""Arguments that say how many items a field returns."""

ARGUMENT_CAPS: dict[str, int] = {"Query.neighborhood.limit": MAX_NEIGHBORHOOD_LIMIT}
"""Page arguments whose largest accepted value is not the server's maximum page size."""

LIST_ARGUMENT_SIZED: dict[str, str] = {"Query.nodes": "ids"}
"""Lists as long as one of their list arguments (``nodes(ids:)`` gives one node per id)."""

# Introspection lists whose members are each visited when the list above them enumerates
# all of a kind: there, the average times the count enumerated is the exact total.
_ENUMERATING = {("__Schema", "types"), ("__Schema", "directives")}
_ENUMERATED = {("__Type", "fields"), ("__Type", "inputFields"), ("__Type", "enumValues"),
               ("__Type", "interfaces"), ("__Type", "possibleTypes"), ("__Field", "args"),
               ("__Directive", "args"), ("__Directive", "locations")}


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """An operation's estimated cost and its most expensive path, e.g.
    ``("a7:customers x500", "edges", "node", "accounts x20")``."""

    total: int
    path: tuple[str, ...] = ()

    def path_text(self) -> str:
        return " > ".join(self.path) or "(none)"


def _introspection_sizes(schema: GraphQLSchema) -> dict[tuple[str, str, bool], int]:
    """(type, field, enumerated) -> list size: the largest, or when enumerated, the average."""
    types = list(schema.type_map.values())
    populations: dict[tuple[str, str], list[int]] = {key: [] for key in _ENUMERATED}
    populations[("__Schema", "types")] = [len(types)]
    populations[("__Schema", "directives")] = [len(schema.directives)]
    all_fields: list[GraphQLField] = []
    for named in types:
        fields = getattr(named, "fields", None) or {}
        is_input = isinstance(named, GraphQLInputObjectType)
        populations[("__Type", "fields")].append(0 if is_input else len(fields))
        populations[("__Type", "inputFields")].append(len(fields) if is_input else 0)
        populations[("__Type", "enumValues")].append(len(getattr(named, "values", None) or {}))
        populations[("__Type", "interfaces")].append(len(getattr(named, "interfaces", None) or ()))
        possible = schema.get_possible_types(named) if is_abstract_type(named) else ()
        populations[("__Type", "possibleTypes")].append(len(possible))
        if not is_input:
            all_fields.extend(fields.values())
    populations[("__Field", "args")] = [len(f.args) for f in all_fields] or [0]
    populations[("__Directive", "args")] = [len(d.args) for d in schema.directives] or [0]
    populations[("__Directive", "locations")] = [len(d.locations) for d in schema.directives] or [0]
    sizes: dict[tuple[str, str, bool], int] = {}
    for (type_name, field_name), counts in populations.items():
        counts = counts or [0]
        sizes[(type_name, field_name, False)] = max(counts)
        sizes[(type_name, field_name, True)] = math.ceil(sum(counts) / len(counts))
    return sizes


@dataclass(frozen=True)
class CostModel:
    """What the estimate needs to know about the schema and the server's caps."""

    schema: GraphQLSchema
    max_page_size: int
    default_page_size: int = 20  # what a connection gives when neither first nor last is given
    list_sizes: Mapping[str, int] = field(default_factory=lambda: dict(LIST_SIZES))
    argument_caps: Mapping[str, int] = field(default_factory=lambda: dict(ARGUMENT_CAPS))
    introspection: Mapping[tuple[str, str, bool], int] = field(default_factory=dict)
    estimates: PerDocument[list[tuple[tuple[tuple[str, Any], ...], "CostEstimate"]]] = field(
        default_factory=PerDocument, compare=False, repr=False)
    """Estimates made with this model, per parsed document (:func:`estimate_cost`)."""

    @classmethod
    def for_schema(cls, schema: GraphQLSchema, max_page_size: int) -> "CostModel":
        return cls(schema, max_page_size, introspection=_introspection_sizes(schema))

    def list_size(self, parent: GraphQLNamedType, field_name: str, enumerated: bool) -> int:
        """Items a list field without a page argument can hold (nested lists: their product)."""
        key = f"{parent.name}.{field_name}"
        if key in self.list_sizes:
            return self.list_sizes[key]
        if field_name == "edges" and parent.name.endswith("Connection"):
            return 1  # the connection's page size already multiplies its edges
        size = self.introspection.get((parent.name, field_name, enumerated))
        if size is not None:
            return size
        return self.max_page_size


def _field_definition(schema: GraphQLSchema, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if name == "__typename":
        return TypeNameMetaFieldDef
    if parent is schema.query_type and name == "__schema":
        return SchemaMetaFieldDef
    if parent is schema.query_type and name == "__type":
        return TypeMetaFieldDef
    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        return parent.fields.get(name)
    return None


def _int_value(node: Any, variables: Mapping[str, Any], defaults: Mapping[str, Any]) -> int | None:
    """An Int argument's value if it can be known now: a literal or a variable's value."""
    if isinstance(node, IntValueNode):
        text = node.value
        return int(text) if len(text) <= 18 else None
    if isinstance(node, VariableNode):
        name = node.name.value
        value = variables.get(name, defaults.get(name))
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _is_null(node: Any, variables: Mapping[str, Any], defaults: Mapping[str, Any]) -> bool:
    """An explicit ``null``, or a variable given no value: the argument is as good as absent."""
    if isinstance(node, NullValueNode):
        return True
    if isinstance(node, VariableNode):
        name = node.name.value
        return variables.get(name, defaults.get(name)) is None
    return False


def _variable_defaults(operations: Sequence[OperationDefinitionNode]) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for operation in operations:
        for definition in operation.variable_definitions or ():
            default = definition.default_value
            if isinstance(default, IntValueNode) and len(default.value) <= 18:
                defaults.setdefault(definition.variable.name.value, int(default.value))
    return defaults


class _Estimator:
    def __init__(self, model: CostModel, variables: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
        self.model = model
        self.variables = variables
        self.defaults = defaults
        # (fragment name, enumerated) -> its estimate, once each, in dependency order
        self.fragments: dict[tuple[str, bool], CostEstimate] = {}

    def page_size(self, parent: GraphQLNamedType, definition: GraphQLField, node: FieldNode) -> int | None:
        """The field's page size, if it takes one, within what the server accepts.

        The first page argument given a value counts (``first``, else ``last``, else ``limit``);
        one given a variable whose value is not known yet counts as the cap; when none is
        given, the schema's default, else the server's default page size (a Relay
        connection's ``first`` and ``last`` are both optional)."""
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        names = [name for name in PAGE_ARGUMENTS if name in definition.args]
        if not names:
            return None
        for name in names:
            cap = self.model.argument_caps.get(f"{parent.name}.{node.name.value}.{name}", self.model.max_page_size)
            if name in given:
                if _is_null(given[name], self.variables, self.defaults):
                    continue
                value = _int_value(given[name], self.variables, self.defaults)
                return cap if value is None else min(max(value, 0), cap)
            default = definition.args[name].default_value
            if isinstance(default, int) and default is not Undefined:
                return min(max(default, 0), cap)
        return min(self.model.default_page_size, self.model.max_page_size)

    def list_argument_size(self, parent: GraphQLNamedType, node: FieldNode) -> int | None:
        """For a list as long as its list argument, that argument's length, if known now."""
        argument_name = LIST_ARGUMENT_SIZED.get(f"{parent.name}.{node.name.value}")
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        value = given.get(argument_name) if argument_name else None
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, VariableNode):
            items = self.variables.get(value.name.value)
            if isinstance(items, list):
                return len(items)
        return None

    def selection_set(
        self, selections: SelectionSetNode | None, parent: GraphQLNamedType | None, enumerated: bool
    ) -> CostEstimate:
        """Recursion follows one definition's nesting only, which the parser has bounded."""
        if selections is None or parent is None:
            return CostEstimate(0)
        schema = self.model.schema
        total = 0
        best = CostEstimate(0)
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                estimate = self.field(selection, parent, enumerated)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner_type = schema.get_type(condition.name.value) if condition else parent
                estimate = self.selection_set(selection.selection_set, inner_type, enumerated)
            elif isinstance(selection, FragmentSpreadNode):
                spread = self.fragments.get((selection.name.value, enumerated), CostEstimate(0))
                estimate = CostEstimate(spread.total, (f"...{selection.name.value}", *spread.path))
            else:  # pragma: no cover - graphql-core has no other selection
                continue
            total += estimate.total
            if estimate.total > best.total:
                best = estimate
        return CostEstimate(total, best.path)

    def field(self, node: FieldNode, parent: GraphQLNamedType, enumerated: bool) -> CostEstimate:
        name = node.name.value
        key = f"{node.alias.value}:{name}" if node.alias else name
        definition = _field_definition(self.model.schema, parent, name)
        if definition is None:  # unknown: validation reports it
            return CostEstimate(1, (key,))
        factor = self.page_size(parent, definition, node)
        if factor is None:
            factor = self.list_argument_size(parent, node)
        if factor is None:
            factor = self.model.list_size(parent, name, enumerated) if is_list_type(
                get_nullable_type(definition.type)) else 1
        child_enumerated = (parent.name, name) in _ENUMERATING or (enumerated and (parent.name, name) in _ENUMERATED)
        inner = self.selection_set(node.selection_set, get_named_type(definition.type), child_enumerated)
        step = f"{key} x{factor}" if factor != 1 else key
        return CostEstimate(1 + factor * inner.total, (step, *inner.path))


_ABSENT = object()


class _VariableReads(Mapping[str, Any]):
    """The request's variables, noting every one the estimate reads: the estimate depends on
    the document and on those values alone, so it holds for any request that agrees on them."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        self._variables = variables
        self.read: dict[str, Any] = {}
        self.enumerated = False  # read as a whole: then the estimate is not kept

    def get(self, name: str, default: Any = None) -> Any:
        value = self._variables.get(name, _ABSENT)
        self.read[name] = value
        return default if value is _ABSENT else value

    def __getitem__(self, name: str) -> Any:
        value = self.get(name, _ABSENT)
        if value is _ABSENT:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        self.enumerated = True
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)


def _agrees(variables: Mapping[str, Any], read: tuple[tuple[str, Any], ...]) -> bool:
    """Whether ``variables`` hold exactly the values an earlier estimate read (``True`` is not ``1``)."""
    for name, value in read:
        now = variables.get(name, _ABSENT)
        if type(now) is not type(value) or now != value:
            return False
    return True


VARIANTS_KEPT = 16
"""Estimates kept per document, for requests with different page sizes."""


def estimate_cost(
    model: CostModel,
    document: DocumentNode,
    operations: Sequence[OperationDefinitionNode],
    variables: Mapping[str, Any] | None = None,
) -> CostEstimate:
    """The estimated cost of running ``operations`` (summed) with ``variables``, and the path
    that costs the most. Assumes no fragment cycle (``document_shape`` refuses those first).

    A front-end sends the same documents again and again: the model keeps an estimate per
    parsed document with the values of the variables it read, and reuses it for a request
    that agrees on those values."""
    variables = variables or {}
    operations_key = tuple(map(id, operations))  # the document's own nodes, held with it
    variants = model.estimates.get(document, operations_key)
    for read, estimate in variants or ():
        if _agrees(variables, read):
            return estimate
    reads = _VariableReads(variables)
    estimate = _estimate(model, document, operations, reads)
    if not reads.enumerated:
        model.estimates.put(document, [(tuple(reads.read.items()), estimate), *(variants or ())][:VARIANTS_KEPT],
                            operations_key)
    return estimate


def _estimate(model: CostModel, document: DocumentNode, operations: Sequence[OperationDefinitionNode],
              variables: Mapping[str, Any]) -> CostEstimate:
    estimator = _Estimator(model, variables, _variable_defaults(operations))
    fragments = fragments_of(document)
    for name in dependency_order(fragments):
        fragment = fragments[name]
        condition = model.schema.get_type(fragment.type_condition.name.value)
        for enumerated in (False, True):
            estimator.fragments[(name, enumerated)] = estimator.selection_set(
                fragment.selection_set, condition, enumerated
            )
    total = 0
    best = CostEstimate(0)
    for operation in operations:
        root = model.schema.get_root_type(operation.operation)
        estimate = estimator.selection_set(operation.selection_set, root, False)
        total += estimate.total
        if estimate.total > best.total:
            best = estimate
    return CostEstimate(total, best.path)
