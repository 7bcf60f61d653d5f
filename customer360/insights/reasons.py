"""Why a computed value is what it is: the rule line that fired and the values that fired it.

Every segment, risk score/level and product recommendation carries a tuple of these so an
analyst (or a compliance reviewer) can read the decision without re-running it. The number
formatting lives here too, so every reason spells money and counts the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule line that decided a value.

    ``rule`` is a stable dotted id (``"segment.premium"``, ``"risk.high_volume"``,
    ``"cross_sell.credit_card"``) that clients may switch on; ``detail`` is human text
    naming the customer's values and the thresholds they were compared with.
    """

    rule: str
    detail: str


def money(value: Decimal, *, beside: Decimal | None = None) -> str:
    """``150000`` -> ``"150,000.00"``.

    Shown to the cent, except when that would make ``value`` look equal to the threshold it
    is compared with (``beside``) while it is not: then every stored digit is shown, so a
    reason never reads like ``"100,000.00 > 100,000.00"``.
    """
    text = f"{value:,.2f}"
    if beside is not None and value != beside and text == f"{beside:,.2f}":
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 2
        text = f"{value:,.{places}f}"
    return text


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``count(1, "account") == "1 account"``, ``count(62, "transaction") == "62 transactions"``."""
    word = singular if n == 1 else (plural or singular + "s")
    return f"{n:,} {word}"
