"""What an amount argument may look like, judged from its text before any arithmetic.

``Decimal("1e999997")`` is 11 bytes and instant to build, but scaling it to cents makes a
million-digit integer: 25 seconds of CPU on the event loop. And an amount of more than 15
digits before the point does not fit the stores' cents (a signed 64-bit integer). So the
text is checked first, by length and by pattern, and only a short, plain number with a small
exponent ever becomes a ``Decimal``. The scalar, the pre-execution argument check and the
resolvers all ask this one function, so they cannot disagree.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_AMOUNT_TEXT = 40
"""Characters in an amount's text: room for 15 digits, two decimals, a sign and an exponent."""
MAX_INTEGER_DIGITS = 15
"""Digits before the decimal point: the loader's bound too; cents then fit a signed 64-bit integer."""
MAX_DECIMALS = 2

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?")
_EXPONENT_DIGITS = 4  # an exponent beyond +-9999 is never a bank amount


NOT_AN_AMOUNT = 'is not a decimal amount; send a string like "1234.56"'


def amount_problem(text: str, *, size_only: bool = False) -> str | None:
    """Why ``text`` is not an amount this service accepts, or None. Costs O(len(text)) at most.

    ``size_only`` overlooks text that is no number at all ("abc", "12,5"): harmless to parse,
    and graphql-core's coercion says so at the value's position.
    """
    text = text.strip()
    if len(text) > MAX_AMOUNT_TEXT:
        return f"is too long for an amount ({len(text):,} characters; at most {MAX_AMOUNT_TEXT})"
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None if size_only else NOT_AN_AMOUNT
    exponent = match.group(1)
    if exponent is not None and len(exponent.lstrip("+-")) > _EXPONENT_DIGITS:
        return f"has an absurd exponent; amounts have at most {MAX_INTEGER_DIGITS} digits before the point"
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return NOT_AN_AMOUNT
    if value and value.adjusted() >= MAX_INTEGER_DIGITS:
        return f"is too large; amounts have at most {MAX_INTEGER_DIGITS} digits before the point"
    if value and value.adjusted() < -MAX_DECIMALS:  # 1e-9999: no cents at all, only decimals
        return "has more than two decimal places"
    return None


def preview(value: object, limit: int = 24) -> str:
    """A value for an error message, cut short: errors must not echo a megabyte back."""
    if isinstance(value, int) and abs(value).bit_length() > 200:
        return f"an integer of {abs(value).bit_length()} bits"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
