"""How big a GraphQL document is, measured before anything else reads it closely.

Aliases and depth are measured on the operation that will run
with every fragment spread expanded, yet in time linear in the document's size: each
fragment is measured once, in dependency order, and its figures are reused wherever it is
spread. (Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` re-walk a fragment at
every spread, so a 1 KB document whose fragments each spread the next one twice costs them
2^22 walks.) A fragment that spreads itself, directly or not, is refused here, before
graphql-core's validation would have to walk it.

Everything here is a pure function of graphql-core's AST, so it is tested alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


class FragmentCycle(Exception):
    """A fragment spreads itself, directly or through others: ``cycle`` names them in order."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = tuple(cycle)
        super().__init__(" -> ".join(self.cycle))


@dataclass(frozen=True, slots=True)
class Shape:
    """One operation's shape with every fragment expanded."""

    aliases: int  # aliased fields, counted once for every place they would be resolved from
    depth: int  # nested fields with selections (``{ a { b } }`` is 1), as QueryDepthLimiter counts:
    # introspection (``__schema``, ``__type``) is not counted; the cost estimate bounds it


def executed_operations(document: DocumentNode, operation_name: str | None) -> list[OperationDefinitionNode]:
    """The operation that will run: the one named, or the only one. When that is not clear
    (no such name, several without a name) every operation is returned: Strawberry refuses
    such a request anyway, and measuring all of them costs no more than reading them."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        named = [op for op in operations if op.name is not None and op.name.value == operation_name]
        return named or operations
    return operations if len(operations) != 1 else operations[:1]


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    """Fragment definitions by name (the first, if a name repeats: validation refuses that)."""
    found: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            found.setdefault(definition.name.value, definition)
    return found


def spreads_in(selection_set: SelectionSetNode | None) -> Iterator[str]:
    """Names of the fragments spread anywhere inside a selection set (not through them)."""
    stack = [selection_set] if selection_set is not None else []
    while stack:
        current = stack.pop()
        for selection in current.selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif selection.selection_set is not None:  # a field or an inline fragment
                stack.append(selection.selection_set)


def dependency_order(fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names such that each comes after every fragment it spreads.

    Iterative depth-first search, so a long chain of fragments cannot exhaust Python's
    stack. Spreads of unknown fragments are left for validation to report.
    Raises :class:`FragmentCycle` naming the fragments of the first cycle found.
    """
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in fragments:
        if root in state:
            continue
        path: list[str] = [root]
        pending: list[Iterator[str]] = [spreads_in(fragments[root].selection_set)]
        state[root] = 1
        while pending:
            child = next(pending[-1], None)
            if child is None:
                pending.pop()
                done = path.pop()
                state[done] = 2
                order.append(done)
                continue
            if child not in fragments or state.get(child) == 2:
                continue
            if state.get(child) == 1:
                raise FragmentCycle(path[path.index(child):] + [child])
            state[child] = 1
            path.append(child)
            pending.append(spreads_in(fragments[child].selection_set))
    return order


def _measure(selection_set: SelectionSetNode | None, known: dict[str, Shape]) -> Shape:
    """Aliases and depth of one selection set, with already measured fragments reused.

    Recursion follows the nesting of this one definition only, which graphql-core's parser
    has already bounded (200 levels: "Document is nested too deeply").
    """
    if selection_set is None:
        return Shape(0, 0)
    aliases = 0
    depth = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            inner = _measure(selection.selection_set, known)
            aliases += inner.aliases + (selection.alias is not None)
            if selection.selection_set is not None and not selection.name.value.startswith("__"):
                depth = max(depth, 1 + inner.depth)
        elif isinstance(selection, InlineFragmentNode):
            inner = _measure(selection.selection_set, known)
            aliases += inner.aliases
            depth = max(depth, inner.depth)
        elif isinstance(selection, FragmentSpreadNode):
            spread = known.get(selection.name.value)
            if spread is not None:
                aliases += spread.aliases
                depth = max(depth, spread.depth)
    return Shape(aliases, depth)


def measure_shape(document: DocumentNode, operations: Sequence[OperationDefinitionNode]) -> Shape:
    """Aliases (summed) and depth (the deepest) of ``operations``, fragments expanded.

    Raises :class:`FragmentCycle` when a fragment spreads itself.
    """
    fragments = fragments_of(document)
    known: dict[str, Shape] = {}
    for name in dependency_order(fragments):
        known[name] = _measure(fragments[name].selection_set, known)
    aliases = 0
    depth = 0
    for operation in operations:
        shape = _measure(operation.selection_set, known)
        aliases += shape.aliases
        depth = max(depth, shape.depth)
    return Shape(aliases, depth)
