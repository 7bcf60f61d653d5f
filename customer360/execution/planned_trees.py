"""Response trees planned before, found again for the next request that would plan the same.

Planning a tree (:class:`~customer360.execution.tree.TreePlanner`) merges every level's fields
and checks every argument and access decision: for the one-customer query that is more work
on the event loop than SQLite's answer. What a plan depends on is known: the document and its
operation, the coerced variables, what the caller may see, and the page sizes the server
allows. The same inputs give the same tree, so a tree is kept per document under a key made
of the rest.

One input changes on every request of a lookup document: which customer (``customer(id:
$id)``). A variable used only as the ``id`` of root lookups is left out of the key, and the
kept tree gets the request's key in its lookups (the only place such a variable can reach).
A variable used anywhere else (a page size, a filter, a directive) stays in the key.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Hashable, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.execution.values import VariableValues

from customer360.execution.tree import LOOKUPS, Collect, TreePlanner
from customer360.field_collection import Grouped
from customer360.graphstore.response_tree import ByKey, ResponseTree
from customer360.per_document import PerDocument
from customer360.resolvers.context import RequestContext

_TREES: PerDocument[ResponseTree] = PerDocument()
_SUBTREES: PerDocument[tuple[ResponseTree | None]] = PerDocument()
_LOOKUP_VARIABLES: PerDocument[dict[str, str]] = PerDocument()


def planned_tree(schema: GraphQLSchema, collect: Collect, variables: VariableValues, ctx: RequestContext,
                 document: DocumentNode, operation: OperationDefinitionNode, grouped: Grouped) -> ResponseTree:
    """``TreePlanner(...).plan(grouped)``, planned once per key. Raises what planning raises
    (a plan that failed is never kept: the next request plans, and fails, again)."""
    lookups = _lookup_variables(document, operation)
    key = _key(id(operation), variables.coerced, ctx, lookups)  # the operation node is held with the document
    kept = _TREES.get(document, key) if key is not None else None
    if kept is not None:
        return _looking_up(kept, lookups, variables.coerced)
    tree = TreePlanner(schema, collect, variables, ctx).plan(grouped)
    if key is not None:
        _TREES.put(document, tree, key)
    return tree


def planned_subtrees(schema: GraphQLSchema, collect: Collect, variables: VariableValues, ctx: RequestContext,
                     document: DocumentNode, operation: OperationDefinitionNode, gtype: GraphQLObjectType,
                     keys: tuple[str, ...], grouped: Grouped) -> ResponseTree | None:
    """``TreePlanner(...).subtrees(gtype, keys, grouped)``, planned once per level and key: a
    level's fields are the same for any parents, which only fill the tree's one list of keys
    (the root lookups' variables cannot reach a level, so they stay out of the key here too)."""
    fields = tuple((key, *map(id, nodes)) for key, nodes in grouped.items())  # nodes live with the document
    key = _key((gtype.name, fields), variables.coerced, ctx, _lookup_variables(document, operation))
    kept = _SUBTREES.get(document, key) if key is not None else None
    if kept is not None:
        [tree] = kept
        return tree if tree is None else _each_of(tree, keys)
    tree = TreePlanner(schema, collect, variables, ctx).subtrees(gtype, keys, grouped)
    if key is not None:
        _SUBTREES.put(document, (tree,), key)
    return tree


def _key(planned: Hashable, coerced: Mapping[str, Any], ctx: RequestContext,
         lookups: Mapping[str, str]) -> Hashable | None:
    """Everything but the lookups' keys that a plan of ``planned`` (an operation, a level)
    depends on; None when a variable's value cannot be part of a key (it is planned anew)."""
    lifted = set(lookups.values())
    if any(type(coerced.get(name)) is not str for name in lifted):
        return None  # a missing or null key: planned anew, and refused as planning refuses it
    access = ctx.access
    purpose_missing = access.purpose is None and not access.principal.purpose_exempt
    values = tuple(sorted((name, _frozen(value)) for name, value in coerced.items() if name not in lifted))
    key = (planned, access.grants.decisions, purpose_missing, ctx.settings.max_page_size,
           ctx.settings.default_page_size, values)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _frozen(value: Any) -> Any:
    """A coerced input value (objects and lists included) as a hashable value."""
    if isinstance(value, Mapping):
        return tuple(sorted((name, _frozen(item)) for name, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value


def _looking_up(tree: ResponseTree, lookups: Mapping[str, str], coerced: Mapping[str, Any]) -> ResponseTree:
    """The kept tree, its lookups keyed by this request's variables."""
    return ResponseTree(tuple(
        (key, dataclasses.replace(value, key=coerced[lookups[key]]))
        if key in lookups and isinstance(value, ByKey) else (key, value)
        for key, value in tree.fields
    ))


def _each_of(tree: ResponseTree, keys: tuple[str, ...]) -> ResponseTree:
    """A kept level's tree for this request's parents."""
    [(name, each)] = tree.fields
    return ResponseTree(((name, dataclasses.replace(each, keys=keys)),))


def _lookup_variables(document: DocumentNode, operation: OperationDefinitionNode) -> dict[str, str]:
    """Root lookups whose ``id`` is a variable used nowhere else: response key -> variable name."""
    found = _LOOKUP_VARIABLES.get(document, id(operation))
    if found is None:
        found = _lookup_variables_of(document, operation)
        _LOOKUP_VARIABLES.put(document, found, id(operation))
    return found


def _lookup_variables_of(document: DocumentNode, operation: OperationDefinitionNode) -> dict[str, str]:
    candidates: dict[str, str] = {}
    as_lookup_key: Counter[str] = Counter()
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value not in LOOKUPS:
            continue
        argument = next((a for a in selection.arguments or () if a.name.value == "id"), None)
        if argument is not None and isinstance(argument.value, VariableNode):
            name = argument.value.name.value
            candidates[(selection.alias or selection.name).value] = name
            as_lookup_key[name] += 1
    used = _UsedVariables()
    visit(operation.selection_set, used)
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            visit(definition.selection_set, used)
    return {key: name for key, name in candidates.items() if used.count[name] == as_lookup_key[name]}


class _UsedVariables(Visitor):
    """Counts every use of each variable in the selections it visits."""

    def __init__(self) -> None:
        super().__init__()
        self.count: Counter[str] = Counter()

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.count[node.name.value] += 1
