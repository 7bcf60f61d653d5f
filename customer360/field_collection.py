"""Fields of one selection level, merged exactly as graphql-core's ``collect_fields`` merges them.

Response keys (aliases, else names) in document order, each with every field node that
answers to it, after ``@skip``/``@include`` with the request's variables and the type
conditions of inline fragments and fragment spreads. The compiled executor builds its
response level by level with it; the audit walks a finished response with it, so both see
the same fields under the same keys as the general executor wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_directive_values,
    is_abstract_type,
)

Grouped = dict[str, list[FieldNode]]


class FieldCollector:
    """One operation's fragments and coerced variables, for merging its selection sets."""

    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if"):
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include is not None and not include.get("if"))

    def _applies(self, condition: Any, gtype: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        named = self.schema.get_type(condition.name.value)
        if named is gtype:
            return True
        return named is not None and is_abstract_type(named) and self.schema.is_sub_type(named, gtype)

    def collect(self, gtype: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]) -> Grouped:
        grouped: Grouped = {}
        visited: set[str] = set()

        def visit(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if not self._included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    grouped.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, gtype):
                        visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if name in visited or fragment is None:
                        continue
                    visited.add(name)
                    if self._applies(fragment.type_condition, gtype):
                        visit(fragment.selection_set)

        for selection_set in selection_sets:
            visit(selection_set)
        return grouped


def find_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation ``name`` names, or the document's only one; None when there is no such."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)


def fragments_by_name(definitions: Sequence[Any]) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
