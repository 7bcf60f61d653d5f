"""Decimal and DateTime scalars whose parse errors tell the client what was expected.

Strawberry's built-ins raise an error that graphql-core reports without a location; raising
``ValueError`` instead lets graphql-core report "Expected value of type 'Decimal', found
"abc"; ..." at the argument's position in the query.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import strawberry

from customer360.resolvers.amounts import NOT_AN_AMOUNT, amount_problem, preview


def parse_decimal(value: object) -> Decimal:
    """An amount, its text checked for size and shape first (see ``resolvers/amounts.py``):
    ``1e999997`` is refused here instead of costing seconds of arithmetic later."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{preview(value)!r} {NOT_AN_AMOUNT}")
    if isinstance(value, int) and abs(value).bit_length() > 64:  # no int-to-text cost for huge ints
        raise ValueError("the number is too large for an amount")
    text = value if isinstance(value, str) else repr(value)
    problem = amount_problem(text)
    if problem is not None:
        raise ValueError(f"{preview(text)!r} {problem}")
    try:
        return Decimal(text.strip())
    except InvalidOperation:  # pragma: no cover - amount_problem admits only plain numbers
        raise ValueError(f"{preview(text)!r} {NOT_AN_AMOUNT}") from None


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
