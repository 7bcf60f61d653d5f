"""Look-ahead at the selection set, fragments included.

Used to ask the store only for what the client selected, e.g. to count a connection's
``totalCount`` only when it is asked for. It reads graphql-core's AST under the Strawberry
``Info`` directly: ``Info.selected_fields`` converts the whole sub-tree (arguments included)
on every call, which costs more than the lookup itself when a field repeats for every row.
"""

from __future__ import annotations

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry.types import Info


def _has(selection_set: SelectionSetNode | None, name: str, fragments: dict) -> bool:
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value == name:
            return True
        if isinstance(selection, InlineFragmentNode) and _has(selection.selection_set, name, fragments):
            return True
        if isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _has(fragment.selection_set, name, fragments):
                return True
    return False


def selects(info: Info, name: str) -> bool:
    """Whether the field being resolved has ``name`` among its direct sub-selections."""
    raw = info._raw_info
    return any(_has(node.selection_set, name, raw.fragments) for node in raw.field_nodes)
