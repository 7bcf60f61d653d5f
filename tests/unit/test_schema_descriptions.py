"""Every element of the schema says what it means to the user: an analyst reading GraphiQL's
Docs pane learns units, masking, rules and limits there, not from the code."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)

from customer360.schema import schema

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def missing_descriptions() -> list[str]:
    missing: list[str] = []
    for name, gtype in schema._schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not (gtype.description or "").strip():
            missing.append(f"type {name}")
        if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in gtype.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"field {name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if not (arg.description or "").strip():
                        missing.append(f"argument {name}.{field_name}({arg_name})")
        elif isinstance(gtype, GraphQLInputObjectType):
            for field_name, field in gtype.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"input field {name}.{field_name}")
        elif isinstance(gtype, GraphQLEnumType):
            for value_name, value in gtype.values.items():
                if not (value.description or "").strip():
                    missing.append(f"enum value {name}.{value_name}")
        elif not isinstance(gtype, (GraphQLScalarType, GraphQLUnionType)):
            missing.append(f"unchecked kind of type {name}")
    return missing


def test_every_type_field_argument_enum_value_and_input_field_is_described() -> None:
    missing = missing_descriptions()
    assert missing == [], f"{len(missing)} schema elements have no description:\n" + "\n".join(missing)
