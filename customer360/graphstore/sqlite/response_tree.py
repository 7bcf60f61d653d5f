"""The response tree as ONE SQLite statement that builds the response's JSON itself.

Each object of the tree is a ``json_object`` over one row, each list a ``json_group_array``
over a correlated subquery that reads the index in page order and stops at the page's size,
each link one primary-key lookup: the statement does the same index work as the level
path's statements, and the rows never become Python objects. Response keys, constants and
every value are bound parameters; the only identifiers in the text come from :mod:`.schema`
and :mod:`customer360.graphstore.mapping`.

The JSON functions keep a nested object as JSON only while it goes straight into another
JSON function (a scalar subquery, ``COALESCE``); a column of a subquery in ``FROM`` would
arrive as a string. So lists aggregate ``json_object(...)`` of the subquery's plain columns.

Where the level path would fail (a stored enum value outside its table, a required link
missing), the statement stops with an error (``json('')`` is malformed JSON, evaluated only
on that branch); the executor then answers by levels and reports it as it always has.

Writing the text costs more than SQLite takes to run it for a small query (one customer
and their accounts), so statements are kept per tree shape: the root's lookup keys are the
only values that change from one request of a document to the next (which customer), and
they are lifted out of the tree before it is looked up, to be bound in their slots.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from customer360.backend_calls import CompiledQuery
from customer360.graphstore.compiled import Compiled
from customer360.graphstore.mapping import STORED_PROPERTIES, stored_name
from customer360.graphstore.plan import Keyset, PersonOrder, VertexLabel
from customer360.graphstore.response_tree import (
    ByKey,
    Constant,
    Count,
    Cursor,
    EachOf,
    EndCursor,
    Enumerated,
    Fields,
    Flag,
    Format,
    Joined,
    Linked,
    Mask,
    Masked,
    More,
    Nested,
    Persons,
    Property,
    Reach,
    ResponseTree,
    Rows,
    Source,
    Value,
)
from customer360.graphstore.sqlite.emit import (
    keys_param,
    keyset_condition,
    order_columns,
    order_text,
    path_joins,
    person_order,
    persons_matching,
    predicate_conditions,
    selected,
)
from customer360.graphstore.sqlite.schema import VERTEX_TABLES

STOP = "json('')"
"""An expression that stops the statement: malformed JSON, raised only where it is evaluated."""


STATEMENTS_KEPT = 512
"""How many tree shapes keep their statement (the oldest goes first): a service answers a
few dozen documents, each in a shape or two per caller."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Slot:
    """Where a root lookup's key goes, in a tree kept as a shape."""

    index: int


@dataclasses.dataclass(frozen=True, slots=True)
class _Statement:
    """A shape's text, its parameters, and the names its lookup slots are bound under."""

    text: str
    params: dict[str, Any]
    slots: tuple[str, ...]


_statements: dict[ResponseTree, _Statement] = {}


def response_tree(step: ResponseTree) -> Compiled[CompiledQuery, dict[str, Any]]:
    shape, keys = _lifted(step)
    try:
        statement = _statements.get(shape)
    except TypeError:  # a value no dict can hold (a cursor's sort values as a list): written anew
        statement = _written(shape, len(keys))
    if statement is None:
        statement = _written(shape, len(keys))
        if len(_statements) >= STATEMENTS_KEPT:
            del _statements[next(iter(_statements))]
        _statements[shape] = statement
    params = dict(statement.params)
    params.update(zip(statement.slots, keys))
    return Compiled(CompiledQuery("response_tree", statement.text, params), _decode)


def _lifted(step: ResponseTree) -> tuple[ResponseTree, list[str]]:
    """The tree with its root lookups' keys replaced by slots, and the values those slots bind."""
    bound: list[str] = []
    fields: list[tuple[str, Value]] = []
    for name, value in step.fields:
        if isinstance(value, ByKey):
            bound.append(value.key)
            value = dataclasses.replace(value, key=_Slot(len(bound) - 1))
        elif isinstance(value, EachOf):
            bound.append(keys_param(value.keys))
            value = dataclasses.replace(value, keys=_Slot(len(bound) - 1))
        fields.append((name, value))
    return ResponseTree(tuple(fields)), bound


def _written(shape: ResponseTree, slots: int) -> _Statement:
    emitter = _Emitter(slots)
    text = f"SELECT {emitter.object(shape.fields, None, None)} AS data"
    return _Statement(text, emitter.params, tuple(emitter.slots))


def _decode(rows: list[Any]) -> dict[str, Any]:
    return orjson.loads(rows[0][0])


class _Emitter:
    """The statement's text, written depth first, and its bound parameters in step with it."""

    def __init__(self, slots: int) -> None:
        self.params: dict[str, Any] = {}
        self.slots: list[str] = [""] * slots
        self._aliases = 0

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def slot(self, slot: _Slot) -> str:
        """A root lookup's parameter: bound per request, left out of the kept parameters."""
        name = f"s{slot.index}"
        self.slots[slot.index] = name
        return f":{name}"

    def _alias(self) -> str:
        self._aliases += 1
        return f"r{self._aliases}"

    def object(self, fields: Fields, row: str | None, label: VertexLabel | None) -> str:
        """``json_object`` of ``fields`` over the row aliased ``row`` (a vertex of ``label``)."""
        pairs = ", ".join(f"{self.bind(key)}, {self.value(value, row, label)}" for key, value in fields)
        return f"json_object({pairs})"

    def value(self, value: Value, row: str | None, label: VertexLabel | None) -> str:
        if isinstance(value, Constant):
            return self.bind(value.value)
        if isinstance(value, Flag):
            return f"json({self.bind('true' if value.value else 'false')})"
        if isinstance(value, Nested):
            return self.object(value.fields, row, label)
        if isinstance(value, ByKey):
            return self._by_key(value)
        if isinstance(value, EachOf):
            return self._each_of(value)
        if isinstance(value, Rows):
            return self._rows(value, row, label)
        if isinstance(value, Count):
            return self._count(value.source, row, label)
        if isinstance(value, More):
            limit = self.bind(value.first + 1)
            page = self._page(value.source, row, label, self._alias(), limit, value.after)
            return f"json(CASE WHEN (SELECT count(*) FROM ({page})) > {self.bind(value.first)} " \
                   f"THEN {self.bind('true')} ELSE {self.bind('false')} END)"
        if isinstance(value, EndCursor):
            return self._end_cursor(value, row, label)
        if row is None or label is None:
            raise ValueError(f"{type(value).__name__} needs a vertex: it cannot stand at the root")
        if isinstance(value, Property):
            return _formatted(f"{row}.{_stored(label, value.name)}", value.format)
        if isinstance(value, Masked):
            return self._masked(f"{row}.{_stored(label, value.name)}", value.mask)
        if isinstance(value, Joined):
            separator = self.bind(value.separator)
            return f" || {separator} || ".join(f"{row}.{_stored(label, name)}" for name in value.names)
        if isinstance(value, Enumerated):
            cases = " ".join(f"WHEN {self.bind(stored)} THEN {self.bind(public)}" for stored, public in value.names)
            return f"CASE {row}.{_stored(label, value.name)} {cases} ELSE {STOP} END"
        if isinstance(value, Linked):
            return self._linked(value, row, label)
        if isinstance(value, Cursor):
            return self._cursor(value.source, value.ordering, row)
        raise TypeError(f"not a response tree value: {value!r}")

    def _masked(self, column: str, mask: Mask) -> str:
        """The masks of :mod:`customer360.auth.masking`, character for character."""
        if mask is Mask.SSN_FROM_LAST_FOUR:
            return f"{self.bind('***-**-')} || {column}"
        if mask is Mask.YEAR_OF_BIRTH:
            return f"substr({column}, 1, 4) || {self.bind('-**-**')}"
        if mask is Mask.HIDDEN:
            return self.bind("(masked)")
        if mask is Mask.ZIP_PREFIX:
            stars = f"CASE WHEN length({column}) > 3 THEN printf('%.*c', length({column}) - 3, '*') ELSE '' END"
            return f"substr({column}, 1, 3) || {stars}"
        raise TypeError(f"not a mask: {mask!r}")

    def _by_key(self, value: ByKey) -> str:
        alias = self._alias()
        return (
            f"(SELECT {self.object(value.fields, alias, value.label)} FROM {VERTEX_TABLES[value.label]} AS {alias} "
            f"WHERE {alias}.{value.label.key} = {self.slot(value.key)})"
        )

    def _each_of(self, value: EachOf) -> str:
        alias = self._alias()
        table, key = VERTEX_TABLES[value.label], value.label.key
        rows = (
            f"SELECT {selected(value.label, 'v')} FROM json_each({self.slot(value.keys)}) AS k "
            f"JOIN {table} AS v ON v.{key} = k.value ORDER BY k.key"
        )
        return f"(SELECT json_group_array({self.object(value.fields, alias, value.label)}) FROM ({rows}) AS {alias})"

    def _linked(self, value: Linked, row: str, label: VertexLabel) -> str:
        alias = self._alias()
        found = (
            f"(SELECT {self.object(value.fields, alias, value.label)} FROM {VERTEX_TABLES[value.label]} AS {alias} "
            f"WHERE {alias}.{value.label.key} = {row}.{_stored(label, value.via)})"
        )
        return f"COALESCE({found}, {STOP})" if value.required else found

    # -- lists and their pages

    def _rows(self, value: Rows, row: str | None, label: VertexLabel | None) -> str:
        alias = self._alias()
        page = self._page(value.source, row, label, alias, self.bind(value.first), value.after)
        objects = self.object(value.fields, alias, _reached(value.source))
        return f"(SELECT json_group_array({objects}) FROM ({page}) AS {alias})"

    def _page(self, source: Source, row: str | None, label: VertexLabel | None, alias: str, limit: str,
              after: Keyset | None = None) -> str:
        """The source's first rows past ``after``, read from the index in page order: its
        stored properties under their own names (the persons' total balance too)."""
        if isinstance(source, Persons):
            order = _order(source, None)
            past = f" WHERE {keyset_condition(order, after, self._bind_named)}" if after is not None else ""
            return (f"SELECT * FROM ({persons_matching(source.filter, self._bind_named)}){past} "
                    f"ORDER BY {order_text(order)} LIMIT {limit}")
        joins, start, reached = self._reach(source, row, label, alias)
        order = _order(source, reached)
        past = f" AND {keyset_condition(order, after, self._bind_named)}" if after is not None else ""
        return (
            f"SELECT {selected(source.target, reached)} FROM {' '.join(joins)} WHERE {start}{past} "
            f"ORDER BY {order_text(order)} LIMIT {limit}"
        )

    def _bind_named(self, name: str, value: Any) -> str:
        """A :data:`~customer360.graphstore.sqlite.emit.Bind` for the shared conditions: the
        tree's parameters are numbered, whatever name the level's statements give them."""
        return self.bind(value)

    def _reach(self, source: Reach, row: str | None, label: VertexLabel | None,
               alias: str) -> tuple[list[str], str, str]:
        """The joins from the current vertex along the path, the condition tying them to it,
        and the alias of the vertex reached."""
        if row is None or label is None:
            raise ValueError("a path starts at a vertex: it cannot stand at the root")
        joins, source_column, reached = path_joins(source.path, prefix=f"{alias}e", target=f"{alias}t")
        conditions = [f"{source_column} = {row}.{label.key}",
                      *predicate_conditions(source.target, reached, source.where, self._bind_named)]
        return joins, " AND ".join(conditions), reached

    def _count(self, source: Source, row: str | None, label: VertexLabel | None) -> str:
        if isinstance(source, Persons):
            return f"(SELECT count(*) FROM ({persons_matching(source.filter, self._bind_named)}))"
        joins, start, _ = self._reach(source, row, label, self._alias())
        return f"(SELECT count(*) FROM {' '.join(joins)} WHERE {start})"

    def _cursor(self, source: Source, ordering: str, row: str) -> str:
        """``encode_cursor``'s bytes: the same compact JSON (SQLite escapes strings as Python's
        ``json.dumps`` does without ``ensure_ascii``), in upper-case hex."""
        reached = _reached(source)
        if isinstance(source, Persons):
            value = (f"json_array({row}.last_name, {row}.first_name)" if source.order is PersonOrder.NAME
                     else f"{row}.total_balance_cents")
        elif source.order is not None:
            value = f"{row}.{stored_name(reached, source.order.prop)}"
        else:
            raise ValueError("a list in key order has no cursors")
        payload = (f"json_object({self.bind('o')}, {self.bind(ordering)}, {self.bind('v')}, {value}, "
                   f"{self.bind('k')}, {row}.{reached.key})")
        return f"hex({payload})"

    def _end_cursor(self, value: EndCursor, row: str | None, label: VertexLabel | None) -> str:
        alias = self._alias()
        page = self._page(value.source, row, label, alias, self.bind(value.first), value.after)
        order = [(column, descending != value.last) for column, descending in _order(value.source, alias)]
        return (f"(SELECT {self._cursor(value.source, value.ordering, alias)} FROM ({page}) AS {alias} "
                f"ORDER BY {order_text(order)} LIMIT 1)")


def _reached(source: Source) -> VertexLabel:
    return VertexLabel.PERSON if isinstance(source, Persons) else source.target


def _order(source: Source, alias: str | None) -> list[tuple[str, bool]]:
    """The source's page order over ``alias``'s columns (unqualified when None)."""
    if isinstance(source, Reach):
        assert alias is not None
        return order_columns(source.target, alias, source.order)
    return person_order(source.order, source.descending, alias)


def _stored(label: VertexLabel, name: str) -> str:
    """``name`` checked against the vertex's stored properties: never a pasted string."""
    if name not in STORED_PROPERTIES[label]:
        raise ValueError(f"{label.value} has no stored property {name!r}")
    return name


def _formatted(column: str, format: Format) -> str:
    if format is Format.MONEY:
        return (
            f"printf('%s%d.%02d', CASE WHEN {column} < 0 THEN '-' ELSE '' END, "
            f"abs({column}) / 100, abs({column}) % 100)"
        )
    if format is Format.TIMESTAMP:
        return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {column}, 'unixepoch')"
    return column
