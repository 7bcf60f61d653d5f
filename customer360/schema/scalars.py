"""Decimal and DateTime scalars whose parse errors tell the client what was expected.

Strawberry's built-ins raise an error that graphql-core reports without a location; raising
``ValueError`` instead lets graphql-core report "Expected value of type 'Decimal', found
"abc"; ..." at the argument's position in the query.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import strawberry


def parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{value!r} is not a decimal amount; send a string like \"1234.56\"")
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal amount; send a string like \"1234.56\"") from None
    if not parsed.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    return parsed


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO-8601 date-time string like \"2025-06-01T00:00:00Z\"")
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO-8601 date-time like \"2025-06-01T00:00:00Z\"") from None


DecimalScalar = strawberry.scalar(
    name="Decimal", description="An exact decimal amount, sent and returned as a string (\"1234.56\").",
    serialize=str, parse_value=parse_decimal,
)

DateTimeScalar = strawberry.scalar(
    name="DateTime", description="An ISO-8601 date-time; without a zone it is taken as UTC.",
    serialize=datetime.isoformat, parse_value=parse_datetime,
)

SCALAR_MAP = {Decimal: DecimalScalar, datetime: DateTimeScalar}
