"""The compiled path: an operation executed level by level, its response built straight from rows.

graphql-core's executor resolves every field of every object on its own (a coroutine, a
DataLoader hop, a Strawberry object per row: about 5,000 field executions for the
front-end's nested query). Here each selection level is one step for all the objects of the
level: a leaf is read from every parent in a loop, an object field is ONE batched store call
for every parent, and the response is plain dicts built in document order. Fields are merged
exactly as graphql-core merges them (aliases, fragments, ``@skip``/``@include`` with
variables, ``__typename``), so the JSON is byte for byte the general path's.

Anything this path does not cover, and any error, raises :class:`NotCompiled`: the general
executor then answers the whole request, so errors are always the general path's own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_variable_values,
    is_abstract_type,
    is_composite_type,
)
from graphql.execution.values import VariableValues, get_argument_values

from customer360.execution.fields import FIELDS, NODE_TYPES, Leaf
from customer360.execution.paths import count_path
from customer360.execution.planned_trees import planned_subtrees, planned_tree
from customer360.execution.tree import EACH, LABELS, NotInTree
from customer360.field_collection import (
    FieldCollector,
    Grouped,
    fragments_by_name,
)
from customer360.graphstore.protocol import StoreUnavailable
from customer360.graphstore.response_tree import ResponseTree
from customer360.per_document import PerDocument
from customer360.resolvers.context import RequestContext

log = logging.getLogger("customer360.execution")

_BY_FIELD: PerDocument[str] = PerDocument()
"""Per document and operation, the field that keeps it out of response trees."""

TREE = "tree"
"""Key in :data:`~customer360.execution.paths.PATHS` of the compiled answers built by one
response-tree query (``c360_tree_operations_total`` in /metrics)."""


class NotCompiled(Exception):
    """The general path must answer this operation (the message says why)."""


def coverage(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode) -> str | None:
    """None when every field the operation can select is compiled; else the first one that is not."""
    if operation.operation is not OperationType.QUERY:
        return f"{operation.operation.value} operations"
    fragments = fragments_by_name(document.definitions)
    seen: set[tuple[int, str]] = set()

    def check(selection_set: SelectionSetNode, types: Sequence[GraphQLObjectType]) -> str | None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name == "__typename":
                    continue
                for gtype in types:
                    if name not in gtype.fields:
                        continue  # a field of another type of an abstract parent (validated already)
                    if name not in FIELDS.get(gtype.name, {}):
                        return f"{gtype.name}.{name}"
                    named = get_named_type(gtype.fields[name].type)
                    if selection.selection_set is not None and is_composite_type(named):
                        inner = schema.get_possible_types(named) if is_abstract_type(named) else [named]
                        if (reason := check(selection.selection_set, inner)) is not None:
                            return reason
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                key = (id(fragment), ",".join(t.name for t in types))
                if fragment is None or key in seen:
                    continue
                seen.add(key)
                inner_set = fragment.selection_set
            else:
                inner_set = selection.selection_set
            if (reason := check(inner_set, types)) is not None:
                return reason
        return None

    return check(operation.selection_set, [schema.query_type])


class Execution:
    """One run of one operation: the schema, the document's fragments and the variables."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
                 variables: VariableValues, ctx: RequestContext) -> None:
        self.schema = schema
        self.document = document
        self.operation = operation
        self.variables = variables
        self.ctx = ctx
        self.collect = FieldCollector(schema, fragments_by_name(document.definitions), variables).collect

    # -- executing a level

    async def run(self) -> dict[str, Any]:
        root = self.schema.query_type
        grouped = self.collect(root, [self.operation.selection_set])
        data = await self.whole(grouped)
        if data is None:
            data = {}
            await self.level(root, [None], [data], grouped)
        return data

    async def whole(self, grouped: Grouped) -> dict[str, Any] | None:
        """The response from one query when the operation is a response tree and the store
        builds trees; None sends it level by level, which also reports every error its own way."""
        if not self.ctx.store.builds_response_trees or _BY_FIELD.get(self.document, id(self.operation)) is not None:
            return None
        try:
            tree = planned_tree(self.schema, self.collect, self.variables, self.ctx, self.document, self.operation,
                                grouped)
        except NotInTree as reason:
            if reason.by_field:  # the document's own fields: not worth planning again
                _BY_FIELD.put(self.document, str(reason), id(self.operation))
            log.debug("level by level: %s", reason)
            return None
        except Exception as reason:  # noqa: BLE001 - an argument or access error the levels raise
            log.debug("level by level: %r", reason)
            return None
        data = await self._built(tree)
        if data is None or any(data[key] is None for key in tree.lookups):
            return None  # no such vertex: the level path raises NotFound
        count_path(TREE)
        return data

    async def level(self, gtype: GraphQLObjectType, parents: list[Any], outs: list[dict[str, Any]],
                    grouped: Grouped) -> None:
        """Leaves are read at once; the object fields' batched calls run concurrently (no task
        for a level with one of them: most levels have one, and a task costs more than its read)."""
        for out in outs:  # keys in document order, as graphql-core writes them
            for key in grouped:
                out[key] = None
        built = await self.subtrees(gtype, parents, outs, grouped)
        pending: list[Coroutine[Any, Any, None]] = []
        try:
            for key, nodes in grouped.items():
                if key in built:
                    continue
                step = self.field(gtype, parents, outs, key, nodes)
                if step is not None:
                    pending.append(step)
        except BaseException:
            for step in pending:  # never started: close them rather than leave them unawaited
                step.close()
            raise
        if len(pending) == 1:
            await pending[0]
        elif pending:
            await asyncio.gather(*pending)

    async def subtrees(self, gtype: GraphQLObjectType, parents: list[Any], outs: list[dict[str, Any]],
                       grouped: Grouped) -> frozenset[str]:
        """The level's object fields that are whole trees, built for every parent by one query
        (the profile's addresses, phones, accounts and payments with their receivers: one
        statement instead of five); the keys written, or none when the store builds no trees
        or the query stopped (the fields then go as any other)."""
        label = LABELS.get(gtype.name)
        if label is None or not parents or not self.ctx.store.builds_response_trees:
            return frozenset()
        keys = tuple(getattr(parent, label.key) for parent in parents)
        tree = planned_subtrees(self.schema, self.collect, self.variables, self.ctx, self.document, self.operation,
                                gtype, keys, grouped)
        if tree is None:
            return frozenset()
        data = await self._built(tree)
        objects = data[EACH] if data is not None else []
        if len(objects) != len(parents):
            return frozenset()
        for out, built in zip(outs, objects):
            out.update(built)
        [(_, each)] = tree.fields
        return frozenset(key for key, _ in each.fields)

    async def _built(self, tree: ResponseTree) -> dict[str, Any] | None:
        """The tree's answer; None when its statement stopped where a level would fail."""
        try:
            return await self.ctx.store.response_tree(tree)
        except StoreUnavailable as error:
            log.debug("level by level: %s", error)
            return None

    def field(self, gtype: GraphQLObjectType, parents: list[Any], outs: list[dict[str, Any]], key: str,
              nodes: list[FieldNode]) -> Coroutine[Any, Any, None] | None:
        """Writes a leaf's values now (None); for an object field, the coroutine that loads and completes it."""
        name = nodes[0].name.value
        if name == "__typename":
            for out in outs:
                out[key] = gtype.name
            return None
        spec = FIELDS[gtype.name][name]
        field_def = gtype.fields[name]
        args = get_argument_values(field_def, nodes[0], self.variables) if field_def.args else {}
        named = get_named_type(field_def.type)
        if isinstance(spec, Leaf):
            values = [spec.read(self.ctx, parent, args) for parent in parents]
            if not is_composite_type(named):
                self._write(field_def.type, values, outs, key)
                return None
            return self.complete(field_def.type, values, outs, key, nodes)
        return self._load(spec, named, field_def.type, parents, outs, key, nodes, args)

    async def _load(self, spec: Any, named: Any, field_type: Any, parents: list[Any], outs: list[dict[str, Any]],
                    key: str, nodes: list[FieldNode], args: dict[str, Any]) -> None:
        wants = frozenset(self.collect(named, [n.selection_set for n in nodes if n.selection_set])) \
            if isinstance(named, GraphQLObjectType) else frozenset()
        values = await spec.load(self.ctx, parents, args, wants)
        await self.complete(field_type, values, outs, key, nodes)

    @staticmethod
    def _write(field_type: Any, values: list[Any], outs: list[dict[str, Any]], key: str) -> None:
        """A leaf's values, one per parent."""
        if isinstance(field_type, GraphQLNonNull) and None in values:
            raise NotCompiled(f"a null for the non-null field {key!r}")
        for out, value in zip(outs, values):
            out[key] = value

    async def complete(self, field_type: Any, values: list[Any], outs: list[dict[str, Any]], key: str,
                       nodes: list[FieldNode]) -> None:
        non_null = isinstance(field_type, GraphQLNonNull)
        inner = field_type.of_type if non_null else field_type
        named = get_named_type(inner)
        if not is_composite_type(named):
            self._write(field_type, values, outs, key)
            return
        if non_null and None in values:
            raise NotCompiled(f"a null for the non-null field {key!r}")
        selection_sets = [n.selection_set for n in nodes if n.selection_set]
        children: list[Any] = []
        child_outs: list[dict[str, Any]] = []
        if isinstance(inner, GraphQLList):
            items_non_null = isinstance(inner.of_type, GraphQLNonNull)
            for out, value in zip(outs, values):
                made = [None if item is None else {} for item in value]
                if items_non_null and None in made:
                    raise NotCompiled(f"a null item in the list {key!r} of non-null items")
                out[key] = made
                for item, item_out in zip(value, made):
                    if item is not None:
                        children.append(item)
                        child_outs.append(item_out)
        else:
            for out, value in zip(outs, values):
                if value is not None:
                    out[key] = made_one = {}
                    children.append(value)
                    child_outs.append(made_one)
        if not children:
            return
        if is_abstract_type(named):
            await self._abstract(children, child_outs, selection_sets)
        else:
            await self.level(named, children, child_outs, self.collect(named, selection_sets))

    async def _abstract(self, found: list[Any], outs: list[dict[str, Any]],
                        selection_sets: list[SelectionSetNode]) -> None:
        """``node``: (label, record) pairs, resolved per concrete type."""
        by_type: dict[str, tuple[list[Any], list[dict[str, Any]]]] = {}
        for (label, record), out in zip(found, outs):
            records, type_outs = by_type.setdefault(NODE_TYPES[label], ([], []))
            records.append(record)
            type_outs.append(out)
        work = []
        for type_name, (records, type_outs) in by_type.items():
            concrete = self.schema.get_type(type_name)
            assert isinstance(concrete, GraphQLObjectType)
            work.append(self.level(concrete, records, type_outs, self.collect(concrete, selection_sets)))
        await asyncio.gather(*work)


async def execute(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
                  raw_variables: dict[str, Any] | None, ctx: RequestContext) -> dict[str, Any]:
    variables = get_variable_values(schema, operation.variable_definitions or (), raw_variables or {})
    if isinstance(variables, list):
        raise NotCompiled("the variables do not coerce")
    return await Execution(schema, document, operation, variables, ctx).run()

