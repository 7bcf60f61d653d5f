"""Which customers' data a GraphQL response holds, and which of their fields, masked or clear.

The audit record is made from what the response actually contains, not from what was asked
for: a field that was denied, null or cut by an error was not read. That needs two things
the client's document may not ask for: the id of every customer object in the response, and,
for an entry point that is not a customer (``account(id:)``, ``address(id:)``, ``nodes``), the
customers it belongs to. So before execution :func:`with_audit_keys` adds them to the
document under aliases starting with ``_c360_audit_``, and after execution
:func:`customers_read` walks the response along the same document (fields merged as
graphql-core merges them, :mod:`customer360.field_collection`), attributes every leaf value
to the nearest customer above it, and removes the added keys, so the client gets exactly the
response of its own document.

The rules, by type:

* a ``Person`` is a customer; so is a network node labelled ``PERSON``. Everything under
  one is that customer's (``ssn``, ``accounts.balance``, ``transactions.amount``), except
  another customer nested inside it (a counterparty's owner), who is read in their own right;
* a search hit (``CustomerSearchEdge``) and a match (``CustomerMatch``) belong to the customer
  they found, whether or not the client selected that customer;
* an entry point reached without a customer above it belongs to its owners: an account's
  owner, a payment's sender, an address's residents, a phone's owners. Only there is a link
  added (one batched backend call more per kind of link); inside a customer, objects need none;
* in a neighbourhood or a path, the customers are the person vertices; the other vertices
  are attributed to no one (their owners are usually among the persons anyway).

Connection wrappers (``edges``, ``node``) are left out of paths. Nothing here imports
Strawberry: the schema's extension (``customer360/schema/audit.py``) calls it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)

from customer360.field_collection import FieldCollector, fragments_by_name

PREFIX = "_c360_audit_"
ID_KEY = PREFIX + "id"  # a customer's id
TYPE_KEY = PREFIX + "type"  # the concrete type of an object of an abstract type
LABEL_KEY = PREFIX + "label"  # a network node's vertex label
OF_KEY = PREFIX + "of"  # the customer(s) an object belongs to
FIELD_KEY = PREFIX + "field"  # which customer field a search value is

CUSTOMER_TYPE = "Person"
NETWORK_NODE_TYPE = "NetworkNode"
PERSON_LABEL = "PERSON"

CUSTOMER_OF: dict[str, str] = {"CustomerSearchEdge": "node", "CustomerMatch": "person"}
"""Objects whose customer is one field away, already in hand (no backend call)."""

OWNERS_OF_ENTRY: dict[str, tuple[str, ...]] = {
    "Account": ("owner",),
    "Transaction": ("from", "owner"),
    "Address": ("residents",),
    "Phone": ("owners",),
    "SharedAddress": ("residents",),
    "SharedPhone": ("owners",),
    "TopCounterparty": ("account", "owner"),
}
"""The path from an object to the customers it belongs to, asked for where no customer is above it."""

NETWORK_RESULTS = frozenset({"Neighborhood", "PathResult"})
"""Network answers: their customers are their person vertices, each read in its own right; the
other vertices get no link to an owner (a neighbourhood of 200 would cost a call per kind)."""

VALUE_OF_FIELD: dict[str, str] = {"SearchMatch": "value", "MatchEvidence": "candidate"}
"""Objects holding a customer's value whose policy field is named by their ``field``."""

WRAPPERS = frozenset({"edges", "node"})
"""Connection fields left out of paths: ``accounts.sent.amount``, not ``accounts.sent.edges.node.amount``."""


# ---------------------------------------------------------------------- the document


def _field(name: str, alias: str | None = None, *children: FieldNode) -> FieldNode:
    return FieldNode(
        alias=NameNode(value=alias) if alias else None, name=NameNode(value=name), arguments=(), directives=(),
        selection_set=SelectionSetNode(selections=children) if children else None,
    )


def _link(path: Sequence[str]) -> FieldNode:
    """``_c360_audit_of: owner { _c360_audit_id: id }`` for ``("owner",)``, nested for longer paths."""
    inner = _field("id", ID_KEY)
    for name in reversed(path[1:]):
        inner = _field(name, None, inner)
    return _field(path[0], OF_KEY, inner)


def _additions(type_name: str, under_customer: bool) -> list[FieldNode]:
    """What the audit needs of one object of a concrete type."""
    if type_name == CUSTOMER_TYPE:
        return [_field("id", ID_KEY)]
    if type_name == NETWORK_NODE_TYPE:
        return [_field("id", ID_KEY), _field("label", LABEL_KEY)]
    if type_name in CUSTOMER_OF:
        return [_field(CUSTOMER_OF[type_name], OF_KEY, _field("id", ID_KEY))]
    if type_name in VALUE_OF_FIELD:
        return [_field("field", FIELD_KEY)]
    if not under_customer and type_name in OWNERS_OF_ENTRY:
        return [_link(OWNERS_OF_ENTRY[type_name])]
    return []


def _is_customer_scope(type_name: str, under_customer: bool) -> bool:
    """Whether the objects below one of this type have a customer above them."""
    return (under_customer or type_name == CUSTOMER_TYPE or type_name in CUSTOMER_OF
            or type_name in OWNERS_OF_ENTRY or type_name in NETWORK_RESULTS)


class _Rewriter:
    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments

    def selection_set(self, node: SelectionSetNode, parent: Any, under_customer: bool,
                      expanding: frozenset[str] = frozenset()) -> SelectionSetNode:
        selections: list[Any] = []
        scope = _is_customer_scope(parent.name, under_customer)
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                selections.append(self.field(selection, parent, scope))
            elif isinstance(selection, InlineFragmentNode):
                inner = self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                selections.append(InlineFragmentNode(
                    type_condition=selection.type_condition, directives=selection.directives, loc=selection.loc,
                    selection_set=self.selection_set(selection.selection_set, inner, under_customer, expanding),
                ))
            elif isinstance(selection, FragmentSpreadNode):
                # Spread inline: what a fragment needs depends on where it is spread.
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in expanding:
                    continue
                inner = self.schema.get_type(fragment.type_condition.name.value)
                selections.append(InlineFragmentNode(
                    type_condition=fragment.type_condition, directives=selection.directives, loc=selection.loc,
                    selection_set=self.selection_set(fragment.selection_set, inner, under_customer, expanding | {name}),
                ))
        if is_abstract_type(parent):
            selections.append(_field("__typename", TYPE_KEY))
            for possible in self.schema.get_possible_types(parent):
                added = _additions(possible.name, under_customer)
                if added:
                    selections.append(InlineFragmentNode(
                        type_condition=NamedTypeNode(name=NameNode(value=possible.name)), directives=(),
                        selection_set=SelectionSetNode(selections=tuple(added)),
                    ))
        else:
            selections.extend(_additions(parent.name, under_customer))
        return SelectionSetNode(selections=tuple(selections), loc=node.loc)

    def field(self, node: FieldNode, parent: Any, under_customer: bool) -> FieldNode:
        if node.selection_set is None:
            return node
        definition = getattr(parent, "fields", {}).get(node.name.value)
        if definition is None:  # __schema, __type: no customer data
            return node
        return FieldNode(
            alias=node.alias, name=node.name, arguments=node.arguments, directives=node.directives, loc=node.loc,
            selection_set=self.selection_set(node.selection_set, get_named_type(definition.type), under_customer),
        )


def with_audit_keys(schema: GraphQLSchema, document: DocumentNode) -> DocumentNode:
    """``document`` with what the audit needs added (see the module docstring); fragment
    spreads are written inline. Query operations only: nothing else reads customer data."""
    rewriter = _Rewriter(schema, fragments_by_name(document.definitions))
    definitions: list[Any] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.operation is OperationType.QUERY:
            definition = OperationDefinitionNode(
                operation=definition.operation, name=definition.name, directives=definition.directives,
                variable_definitions=definition.variable_definitions, loc=definition.loc,
                selection_set=rewriter.selection_set(definition.selection_set, schema.query_type, False),
            )
        definitions.append(definition)
    return DocumentNode(definitions=tuple(definitions), loc=document.loc)


# ---------------------------------------------------------------------- the response


@dataclass
class CustomerRead:
    """One customer's fields in one response: paths relative to the customer."""

    customer_id: str
    clear: set[str] = field(default_factory=set)
    masked: set[str] = field(default_factory=set)

    def add(self, path: str, masked: bool) -> None:
        (self.masked if masked else self.clear).add(path)

    def settle(self) -> None:
        """A path masked anywhere in the response is listed as masked only."""
        self.clear -= self.masked


IsMasked = Callable[[str], bool]
"""Whether the caller gets a policy field (``Person.ssn``) masked."""


@dataclass(frozen=True, slots=True)
class _Field:
    """One response key of a level, worked out once per level and path, not per object: its
    field, the path of its value under the customer, and, for a leaf, whether the caller gets
    it masked."""

    key: str
    added: bool  # a key :func:`with_audit_keys` added: taken out of the response
    name: str
    definition: Any
    leaf: bool
    selection_sets: list[SelectionSetNode]
    masked: bool
    path: tuple[str, ...]  # of the value, relative to the customer (wrappers left out)
    dotted: str  # the same, as the record writes it


@dataclass(frozen=True, slots=True)
class _Level:
    """What one level selects, sorted for the walk: the keys the audit added (taken out), the
    leaves recorded as they are (``plain``: one C call per object tells whether all of them
    hold a value, the usual case, and then each owner gets the level's paths at once), and
    everything else (objects to walk into, a network node's properties, a search value)."""

    added: tuple[str, ...]
    plain: tuple[_Field, ...]
    plain_values: Callable[[dict[str, Any]], tuple]
    clear: frozenset[str]
    masked: frozenset[str]
    others: tuple[_Field, ...]

    @classmethod
    def of(cls, fields: list[_Field], type_name: str) -> "_Level":
        special = type_name == NETWORK_NODE_TYPE or type_name in VALUE_OF_FIELD
        plain = tuple(f for f in fields if not f.added and f.definition is not None and f.leaf and not special)
        keys = [f.key for f in plain]
        if len(keys) == 1:
            only = keys[0]

            def values(data: dict[str, Any]) -> tuple:
                return (data[only],)
        else:
            values = operator.itemgetter(*keys) if keys else tuple
        return cls(
            tuple(f.key for f in fields if f.added), plain, values,
            frozenset(f.dotted for f in plain if not f.masked), frozenset(f.dotted for f in plain if f.masked),
            tuple(f for f in fields if not f.added and f not in plain),
        )


@dataclass(eq=False)
class LevelMemo:
    """The fields of every level of one operation's responses, worked out by the first walk and
    found again by the next ones. Valid for one document and operation, one caller's masking
    and one set of ``@skip``/``@include`` values (:func:`directive_variables`): whoever keeps
    it keys it by those. ``root`` is the operation's selection, in a list that lives as long as
    the memo, because a level is known by the identity of its selection list."""

    root: list[SelectionSetNode]
    levels: dict[tuple[str, int, tuple[str, ...]], _Level] = field(default_factory=dict)


def directive_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables an ``@skip`` or ``@include`` of ``document`` reads: the fields a level
    selects depend on their values, and on nothing else a request sends."""
    names: set[str] = set()
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value in ("skip", "include"):
                names.update(argument.value.name.value for argument in directive.arguments
                             if isinstance(argument.value, VariableNode))
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return tuple(sorted(names))


class _Walker:
    def __init__(self, schema: GraphQLSchema, collector: FieldCollector, is_masked: IsMasked,
                 value_fields: Mapping[str, str], memo: LevelMemo) -> None:
        self.schema = schema
        self.collect = collector.collect
        self.is_masked = is_masked
        self.value_fields = value_fields
        self.reads: dict[str, CustomerRead] = {}
        self._levels = memo.levels
        # The level last found for a selection list: the objects of a list come one after the
        # other with the very same type, list and path objects, so most lookups end here.
        self._recent: dict[int, tuple[GraphQLObjectType, tuple[str, ...], _Level]] = {}

    def customer(self, customer_id: Any) -> CustomerRead | None:
        if not isinstance(customer_id, str):
            return None
        read = self.reads.get(customer_id)
        if read is None:
            read = self.reads[customer_id] = CustomerRead(customer_id)
        return read

    def owners(self, linked: Any) -> list[CustomerRead]:
        """The customers found at the end of an added link (an object or a list of them)."""
        found: list[CustomerRead] = []
        stack = [linked]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if ID_KEY in item:
                    read = self.customer(item[ID_KEY])
                    if read is not None:
                        found.append(read)
                else:
                    stack.extend(item.values())
        return found

    def value(self, gtype: Any, data: Any, selection_sets: list[SelectionSetNode],
              owners: list[CustomerRead], path: tuple[str, ...]) -> None:
        if data is None:
            return
        if isinstance(gtype, GraphQLNonNull):
            gtype = gtype.of_type
        if isinstance(gtype, GraphQLList):
            inner = gtype.of_type
            if isinstance(inner, GraphQLNonNull):
                inner = inner.of_type
            if isinstance(inner, GraphQLList):
                for item in data:
                    self.value(inner, item, selection_sets, owners, path)
                return
            for item in data:  # a list of objects, the common case: no call per item to get here
                if isinstance(item, dict):
                    self.object(inner, item, selection_sets, owners, path)
            return
        if isinstance(data, dict):
            self.object(gtype, data, selection_sets, owners, path)

    def level(self, gtype: GraphQLObjectType, selection_sets: list[SelectionSetNode],
              path: tuple[str, ...]) -> _Level:
        """The fields one level selects of ``gtype`` at ``path``: every object of a level shares them.
        A level's ``selection_sets`` is one list for all its objects (the root's, or a cached
        :class:`_Field`'s), alive for the whole walk: its identity names the level."""
        recent = self._recent.get(id(selection_sets))
        if recent is not None and recent[0] is gtype and recent[1] is path:
            return recent[2]
        cache_key = (gtype.name, id(selection_sets), path)
        level = self._levels.get(cache_key)
        if level is not None:
            self._recent[id(selection_sets)] = (gtype, path, level)
        else:
            fields = []
            wrapper = gtype.name.endswith(("Connection", "Edge"))
            for key, nodes in self.collect(gtype, selection_sets).items():
                name = nodes[0].name.value
                definition = gtype.fields.get(name)
                leaf = definition is not None and is_leaf_type(get_named_type(definition.type))
                here = path if wrapper and name in WRAPPERS else (*path, name)
                fields.append(_Field(
                    key, key.startswith(PREFIX), name, definition, leaf,
                    [n.selection_set for n in nodes if n.selection_set is not None],
                    self.is_masked(f"{gtype.name}.{name}") if leaf else False, here, ".".join(here),
                ))
            level = self._levels[cache_key] = _Level.of(fields, gtype.name)
            self._recent[id(selection_sets)] = (gtype, path, level)
        return level

    def object(self, gtype: Any, data: dict[str, Any], selection_sets: list[SelectionSetNode],
               owners: list[CustomerRead], path: tuple[str, ...]) -> None:
        if not isinstance(gtype, GraphQLObjectType):
            if not is_abstract_type(gtype):
                return
            gtype = self.schema.get_type(data.get(TYPE_KEY, ""))
            if not isinstance(gtype, GraphQLObjectType):
                return
        name = gtype.name
        if name == CUSTOMER_TYPE or (name == NETWORK_NODE_TYPE and data.get(LABEL_KEY) == PERSON_LABEL):
            read = self.customer(data.get(ID_KEY))
            owners, path = ([read] if read else []), ()
        elif OF_KEY in data:
            owners, path = self.owners(data[OF_KEY]), ()
        value_policy = self.value_fields.get(str(data.get(FIELD_KEY))) if name in VALUE_OF_FIELD else None
        level = self.level(gtype, selection_sets, path)
        for key in level.added:
            data.pop(key, None)
        if owners and level.plain:
            try:
                whole = None not in level.plain_values(data)
            except KeyError:  # a leaf left out of the response: field by field
                whole = False
            if whole:
                for read in owners:
                    read.clear |= level.clear
                    read.masked |= level.masked
            else:
                for selected in level.plain:
                    if data.get(selected.key) is not None:
                        for read in owners:
                            (read.masked if selected.masked else read.clear).add(selected.dotted)
        for selected in level.others:
            key = selected.key
            if selected.definition is None or key not in data:
                continue
            value = data[key]
            if not selected.leaf:
                if value is not None:
                    self.value(selected.definition.type, value, selected.selection_sets, owners, selected.path)
            elif value is None or not owners:
                continue
            elif name == NETWORK_NODE_TYPE and selected.name == "properties" and isinstance(value, dict):
                self.properties(str(data.get(LABEL_KEY)), value, owners, selected.path)
            elif value_policy is not None and selected.name == VALUE_OF_FIELD[name]:
                self.record(owners, selected.dotted, self.is_masked(value_policy))
            else:
                masked, dotted = selected.masked, selected.dotted
                for read in owners:
                    (read.masked if masked else read.clear).add(dotted)

    def properties(self, label: str, properties: Mapping[str, Any], owners: list[CustomerRead],
                   path: tuple[str, ...]) -> None:
        """A network node's properties, named as the fields of its label's type."""
        type_name = label.title()
        for key, value in properties.items():
            if value is not None:
                self.record(owners, ".".join((*path, key)), self.is_masked(f"{type_name}.{key}"))

    @staticmethod
    def record(owners: Iterable[CustomerRead], path: str, masked: bool) -> None:
        for read in owners:
            read.add(path, masked)


def customers_read(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    data: dict[str, Any] | None,
    is_masked: IsMasked,
    value_fields: Mapping[str, str],
    memo: LevelMemo | None = None,
) -> list[CustomerRead]:
    """Every customer whose data ``data`` holds, with their fields; removes the keys
    :func:`with_audit_keys` added. ``document`` is the rewritten one that produced ``data``;
    ``value_fields`` names the policy field of each ``SearchField`` value (``FIRST_NAME`` ->
    ``Person.firstName``); ``memo``, the levels an earlier walk of the same operation, masking
    and directive values worked out (filled in as this walk goes)."""
    if not data or operation.operation is not OperationType.QUERY:
        return []
    if memo is None:
        memo = LevelMemo([operation.selection_set])
    collector = FieldCollector(schema, fragments_by_name(document.definitions), variables)
    walker = _Walker(schema, collector, is_masked, value_fields, memo)
    walker.object(schema.query_type, data, memo.root, [], ())
    reads = sorted(walker.reads.values(), key=lambda read: read.customer_id)
    for read in reads:
        read.settle()
    return reads
