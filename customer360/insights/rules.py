"""Thresholds and points of the segment, risk and cross-sell rules, as configuration.

The defaults are the reference notebook's values; ``default_rules.toml`` (shipped with the
package) documents each one. A bank overrides them with its own TOML file: only the keys it
sets change, everything else keeps the default.

Comparisons (see ``segment.py``, ``risk.py``, ``recommendations.py``): a customer's value
must *strictly exceed* (``>``) a threshold for its rule to fire, as in the notebook
("balance > 100,000 and transactions > 50"), even where the field is called ``*_min_*``; the
two risk level scores are reached with ``>=`` ("High >= 40").
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SegmentRules:
    """Premium if balance > premium_min_balance AND transactions > premium_min_transactions;
    else Gold if balance > gold_min_balance OR transactions > gold_min_transactions;
    else Silver likewise with the silver thresholds; else Bronze."""

    premium_min_balance: Decimal = Decimal("100000")
    premium_min_transactions: int = 50
    gold_min_balance: Decimal = Decimal("50000")
    gold_min_transactions: int = 30
    silver_min_balance: Decimal = Decimal("10000")
    silver_min_transactions: int = 10


@dataclass(frozen=True)
class RiskRules:
    """Each rule adds its points when the customer's value exceeds its threshold (``>``);
    the level is High at ``score >= high_level_min_score``, else Medium at
    ``score >= medium_level_min_score``, else Low."""

    high_volume: Decimal = Decimal("100000")
    high_volume_points: int = 20
    frequent_transactions: int = 50
    frequent_transactions_points: int = 15
    large_average: Decimal = Decimal("5000")
    large_average_points: int = 10
    many_accounts: int = 3
    many_accounts_points: int = 10
    high_level_min_score: int = 40
    medium_level_min_score: int = 20


@dataclass(frozen=True)
class CrossSellRules:
    """Investment Account if balance > investment_min_balance and no investment account;
    Credit Card if transactions > credit_card_min_transactions and no credit card;
    Savings Account if every account the customer holds is a checking account."""

    investment_min_balance: Decimal = Decimal("50000")
    credit_card_min_transactions: int = 30


@dataclass(frozen=True)
class Rules:
    segment: SegmentRules = field(default_factory=SegmentRules)
    risk: RiskRules = field(default_factory=RiskRules)
    cross_sell: CrossSellRules = field(default_factory=CrossSellRules)


DEFAULT_RULES = Rules()

_SECTIONS: dict[str, type] = {
    "segment": SegmentRules,
    "risk": RiskRules,
    "cross_sell": CrossSellRules,
}

_PACKAGED = "default_rules.toml"


def load_rules(path: Path | None = None) -> Rules:
    """Read rules from a TOML file; ``None`` reads the packaged ``default_rules.toml``.

    Keys the file does not set keep the notebook's defaults. An unknown section or key, a
    value of the wrong type (a string where a number is expected, a fraction where a count
    is expected), a negative or non-finite value, or a High level below the Medium level is
    refused with ``ValueError`` naming the file, the key and the reason.
    """
    if path is None:
        source = f"customer360/insights/{_PACKAGED} (packaged)"
        raw = resources.files(__package__).joinpath(_PACKAGED).read_bytes()
    else:
        path = Path(path)
        source = str(path)
        raw = path.read_bytes()
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{source}: not a valid TOML file: {exc}") from None
    return _rules_from_document(document, source)


def _rules_from_document(document: dict[str, Any], source: str) -> Rules:
    families: dict[str, Any] = {}
    for section, values in document.items():
        family = _SECTIONS.get(section)
        if family is None:
            expected = ", ".join(f"[{name}]" for name in _SECTIONS)
            raise ValueError(f"{source}: [{section}]: unknown section (expected one of {expected})")
        if not isinstance(values, dict):
            raise ValueError(f"{source}: {section}: expected a [{section}] table, got {_describe(values)}")
        families[section] = _family_from_table(family, section, values, source)
    rules = Rules(**families)
    if rules.risk.high_level_min_score < rules.risk.medium_level_min_score:
        raise ValueError(
            f"{source}: [risk] high_level_min_score: {rules.risk.high_level_min_score} is below "
            f"medium_level_min_score {rules.risk.medium_level_min_score}; High must need at least "
            "the score Medium needs"
        )
    return rules


def _family_from_table(family: type, section: str, values: dict[str, Any], source: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(family)}
    overrides: dict[str, Any] = {}
    for key, value in values.items():
        where = f"{source}: [{section}] {key}"
        spec = fields.get(key)
        if spec is None:
            expected = ", ".join(fields)
            raise ValueError(f"{where}: unknown key (expected one of {expected})")
        if spec.type in (Decimal, "Decimal"):
            overrides[key] = _as_amount(value, where)
        else:
            overrides[key] = _as_count(value, where)
    return family(**overrides)


def _as_amount(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number (an amount of money), got {_describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite amount, got {value}")
    # str() first: a TOML 0.1 becomes Decimal('0.1'), not the float's binary expansion.
    amount = Decimal(str(value))
    if amount < 0:
        raise ValueError(f"{where}: must not be negative, got {value}")
    return amount


def _as_count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: expected a whole number, got {_describe(value)}")
    if value < 0:
        raise ValueError(f"{where}: must not be negative, got {value}")
    return value


def _describe(value: Any) -> str:
    kind = {bool: "boolean", str: "string", float: "number", int: "number", dict: "table", list: "array"}
    return f"{kind.get(type(value), type(value).__name__)} {value!r}"
