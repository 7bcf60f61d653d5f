"""Argument values checked for size and shape before anything computes with them.

Every argument of every field in the document (literals) and every variable of the
operation that will run (the JSON the client sent, and the variables' defaults) is walked
along its GraphQL input type: a string longer than the limit, a list with more items than
the limit, or an amount whose text is not a plain, bank-sized number (``1e999997``, a
5,000-digit number, ``1e309``) is refused with the field and the argument it was given to.
The walk follows the input type, never the value, so a deeply nested JSON value costs no
more than the type allows. Values that are simply of the wrong type are left to graphql-core's
coercion, which names them well enough.

Pure functions over graphql-core's AST and schema, tested alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    type_from_ast,
)

from customer360.per_document import PerDocument
from customer360.resolvers.amounts import amount_problem, preview
from customer360.resolvers.cursors import cursor_problem

AMOUNT_SCALARS = frozenset({"Decimal"})
"""Scalars that carry money: their text must pass :func:`amount_problem`."""
CURSOR_ARGUMENTS = frozenset({"after", "before"})
"""String arguments that carry our cursors: they must pass :func:`cursor_problem`."""
MAX_INT_DIGITS = 10  # 2147483647: an Int of more digits is no 32-bit integer


@dataclass(frozen=True, slots=True)
class ValueLimits:
    max_string: int  # characters in any string or ID
    max_list: int  # items in any list


@dataclass(frozen=True, slots=True)
class ArgumentProblem:
    """``customers: argument 'filter.minTotalBalance' is too large; ...``"""

    field: str  # the field given the argument: "customers", "Account.sent"
    argument: str  # the argument, with the path inside an input object: "filter.minAmount"
    reason: str
    variable: str | None = None  # where the value came from, if not a literal: "variable $f"

    def __str__(self) -> str:
        via = f" ({self.variable})" if self.variable else ""
        return f"{self.field}: argument '{self.argument}'{via} {self.reason}"


def _scalar_problem(
    named: GraphQLScalarType, text: str | None, raw: Any, limits: ValueLimits, path: str
) -> str | None:
    if path in CURSOR_ARGUMENTS and named.name == "String" and isinstance(raw, str):
        return cursor_problem(raw)
    if named.name in AMOUNT_SCALARS:
        if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw).bit_length() > 64:
            return "is too large for an amount"
        if text is not None:
            problem = amount_problem(text, size_only=True)
            return None if problem is None else f"{problem} (got {preview(text)})"
        return None
    if named.name == "Int" and text is not None and len(text.lstrip("+-")) > MAX_INT_DIGITS:
        return f"is not a 32-bit integer (got {preview(text)})"
    if isinstance(raw, str) and len(raw) > limits.max_string:
        return f"is too long: {len(raw):,} characters (at most {limits.max_string:,})"
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Walker:
    def __init__(self, schema: GraphQLSchema, limits: ValueLimits) -> None:
        self.schema = schema
        self.limits = limits
        self.field = ""  # the field whose arguments are being walked
        #: variable name -> (field, argument path) where the document first uses it
        self.usages: dict[str, tuple[str, str]] = {}

    # -- literals in the document ------------------------------------------------------

    def literal(self, node: ValueNode, type_: GraphQLInputType, path: str) -> tuple[str, str] | None:
        """(path, reason) of the first problem in a literal; variables are checked apart,
        and where each is used is noted so that their problems can name the argument."""
        if isinstance(node, VariableNode):
            self.usages.setdefault(node.name.value, (self.field, path))
            return None
        type_ = get_nullable_type(type_)
        if is_list_type(type_):
            if isinstance(node, ListValueNode):
                if len(node.values) > self.limits.max_list:
                    return path, f"has {len(node.values):,} items (at most {self.limits.max_list:,})"
                for index, item in enumerate(node.values):
                    found = self.literal(item, type_.of_type, f"{path}[{index}]")
                    if found:
                        return found
                return None
            return self.literal(node, type_.of_type, path)  # one value stands for a list of one
        if isinstance(type_, GraphQLInputObjectType):
            if isinstance(node, ObjectValueNode):
                for entry in node.fields:
                    field = type_.fields.get(entry.name.value)
                    if field is not None:
                        found = self.literal(entry.value, field.type, _join(path, entry.name.value))
                        if found:
                            return found
            return None
        if isinstance(type_, GraphQLScalarType):
            if isinstance(node, (StringValueNode, IntValueNode, FloatValueNode)):
                raw = node.value
                raw_string = raw if isinstance(node, StringValueNode) else None
                reason = _scalar_problem(type_, raw, raw_string, self.limits, path)
                return (path, reason) if reason else None
        return None

    def selections(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None) -> ArgumentProblem | None:
        """Every field's literal arguments in one definition (spreads are checked where defined)."""
        if selection_set is None or parent is None:
            return None
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields = parent.fields if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)) else {}
                definition = fields.get(selection.name.value)
                if definition is None:
                    continue  # introspection meta-fields take no amounts; unknown ones fail validation
                root = parent is self.schema.query_type or parent is self.schema.mutation_type
                self.field = selection.name.value if root else f"{parent.name}.{selection.name.value}"
                for argument in selection.arguments or ():
                    declared = definition.args.get(argument.name.value)
                    if declared is None:
                        continue
                    found = self.literal(argument.value, declared.type, argument.name.value)
                    if found:
                        return ArgumentProblem(self.field, *found)
                found_problem = self.selections(selection.selection_set, get_named_type(definition.type))
                if found_problem:
                    return found_problem
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner_type = self.schema.get_type(condition.name.value) if condition else parent
                found_problem = self.selections(selection.selection_set, inner_type)
                if found_problem:
                    return found_problem
        return None

    # -- the variables the client sent -------------------------------------------------

    def variable(self, name: str, value: Any, type_: GraphQLInputType, what: str = "variable") -> ArgumentProblem | None:
        """The first problem in variable ``name``'s value, named by the argument that uses it."""
        used = self.usages.get(name)
        field, argument = used or (f"{what} ${name}", "")
        found = self.value(value, type_, argument)
        if found is None:
            return None
        return ArgumentProblem(field, found[0] or "value", found[1], variable=f"{what} ${name}" if used else None)

    def value(self, value: Any, type_: GraphQLInputType, path: str) -> tuple[str, str] | None:
        """(path, reason) of the first problem in a JSON value, walked along ``type_``."""
        type_ = get_nullable_type(type_)
        if value is None:
            return None
        if is_list_type(type_):
            if isinstance(value, list):
                if len(value) > self.limits.max_list:
                    return path, f"has {len(value):,} items (at most {self.limits.max_list:,})"
                for index, item in enumerate(value):
                    found = self.value(item, type_.of_type, f"{path}[{index}]")
                    if found:
                        return found
                return None
            return self.value(value, type_.of_type, path)
        if isinstance(type_, GraphQLInputObjectType):
            if isinstance(value, dict):
                for name, item in value.items():
                    field = type_.fields.get(name)
                    if field is not None:
                        found = self.value(item, field.type, _join(path, name))
                        if found:
                            return found
            return None
        if isinstance(type_, GraphQLScalarType):
            if isinstance(value, float) and not math.isfinite(value):  # JSON 1e309 reads as inf
                return path, "is not a finite number"
            text: str | None = None
            if isinstance(value, str):
                text = value
            elif isinstance(value, float) or (isinstance(value, int) and abs(value).bit_length() <= 64):
                text = repr(value)
            reason = _scalar_problem(type_, text if type_.name in AMOUNT_SCALARS else None, value, self.limits, path)
            if reason is None and type_.name == "Int" and isinstance(value, int) and abs(value).bit_length() > 32:
                reason = "is not a 32-bit integer"
            return (path, reason) if reason else None
        return None


_LITERALS: PerDocument[tuple[GraphQLSchema, "ArgumentProblem | None", dict[str, tuple[str, str]]]] = PerDocument()


def _literal_problem(schema: GraphQLSchema, document: DocumentNode,
                     limits: ValueLimits) -> tuple[ArgumentProblem | None, dict[str, tuple[str, str]]]:
    """The first problem in the document's own literals and variable defaults, and where each
    variable is first used: the same for every request that brings the document, so worked
    out once per document (and limits)."""
    kept = _LITERALS.get(document, limits)
    if kept is not None and kept[0] is schema:
        return kept[1], kept[2]
    walker = _Walker(schema, limits)
    problem = _walk_literals(walker, schema, document)
    _LITERALS.put(document, (schema, problem, walker.usages), limits)
    return problem, walker.usages


def _walk_literals(walker: _Walker, schema: GraphQLSchema, document: DocumentNode) -> ArgumentProblem | None:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            parent = schema.get_root_type(definition.operation)
        elif isinstance(definition, FragmentDefinitionNode):
            parent = schema.get_type(definition.type_condition.name.value)
        else:
            continue
        problem = walker.selections(definition.selection_set, parent)
        if problem:
            return problem
    for definition in document.definitions:  # the variables' defaults, named where used
        if not isinstance(definition, OperationDefinitionNode):
            continue
        for variable in definition.variable_definitions or ():
            declared = type_from_ast(schema, variable.type)
            if variable.default_value is None or declared is None:
                continue
            name = variable.variable.name.value
            field, argument = walker.usages.get(name, (f"variable ${name}", ""))
            found = walker.literal(variable.default_value, declared, argument)
            if found:
                return ArgumentProblem(field, found[0] or "default", found[1], variable=f"default of variable ${name}")
    return None


def argument_problem(
    schema: GraphQLSchema,
    document: DocumentNode,
    operations: Sequence[OperationDefinitionNode],
    variables: Mapping[str, Any] | None,
    limits: ValueLimits,
) -> ArgumentProblem | None:
    """The first argument that is too big or not an amount: literals anywhere in the document,
    then the variables sent for ``operations`` (named by the argument that uses them).

    Each definition is walked once (fragments where they are defined, not where spread), and
    each variable along its declared type, so this is linear in the request's size. The
    literals are walked once per document, the variables on every request.
    """
    problem, usages = _literal_problem(schema, document, limits)
    if problem:
        return problem
    walker = _Walker(schema, limits)
    walker.usages = usages
    for operation in operations:
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            declared = type_from_ast(schema, definition.type)
            if not variables or name not in variables or declared is None:
                continue
            problem = walker.variable(name, variables[name], declared)
            if problem:
                return problem
    return None
