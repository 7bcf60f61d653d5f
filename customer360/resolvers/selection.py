"""Look-ahead at the selection set (``Info.selected_fields``), fragments included.

Used to ask the store only for what the client selected, e.g. to count a connection's
``totalCount`` only when it is asked for.
"""

from __future__ import annotations

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def _names(selections: list[Selection]) -> set[str]:
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        elif isinstance(selection, (FragmentSpread, InlineFragment)):
            names |= _names(selection.selections)
    return names


def selects(info: Info, name: str) -> bool:
    """Whether the field being resolved has ``name`` among its direct sub-selections."""
    return any(name in _names(field.selections) for field in info.selected_fields)
