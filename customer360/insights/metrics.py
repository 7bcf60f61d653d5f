"""Per-customer figures that every rule is computed from.

``num_transactions`` and ``total_volume`` count the transactions *sent* from the customer's
accounts (as the notebook did); ``total_balance`` sums every account the customer owns,
whatever its status. Money is ``Decimal``; floats are refused so no binary rounding can move
a customer across a threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from customer360.model import Account, AccountType, Transaction, parse_enum

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CustomerMetrics:
    num_accounts: int
    total_balance: Decimal
    num_transactions: int
    total_volume: Decimal
    avg_transaction: Decimal
    account_types: frozenset[AccountType]

    @classmethod
    def from_totals(
        cls,
        *,
        num_accounts: int,
        total_balance: Decimal | int | str,
        num_transactions: int,
        total_volume: Decimal | int | str,
        account_types: Iterable[AccountType | str],
    ) -> CustomerMetrics:
        """Build metrics from totals a store already aggregated.

        ``avg_transaction`` is ``total_volume / num_transactions`` rounded to the cent
        (half to even), and ``0.00`` for a customer who sent nothing. ``account_types`` may
        be ``AccountType`` members or any spelling ``parse_enum`` accepts (``"INVESTMENT"``,
        ``"Credit Card"``...); duplicates collapse.
        """
        for name, value in (("num_accounts", num_accounts), ("num_transactions", num_transactions)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")
        balance = _decimal("total_balance", total_balance)
        volume = _decimal("total_volume", total_volume)
        if num_transactions:
            average = (volume / num_transactions).quantize(_CENT, rounding=ROUND_HALF_EVEN)
        else:
            average = Decimal("0.00")
        types = frozenset(t if isinstance(t, AccountType) else parse_enum(AccountType, t) for t in account_types)
        return cls(
            num_accounts=num_accounts,
            total_balance=balance,
            num_transactions=num_transactions,
            total_volume=volume,
            avg_transaction=average,
            account_types=types,
        )

    @classmethod
    def from_records(cls, accounts: Iterable[Account], sent: Iterable[Transaction]) -> CustomerMetrics:
        """Metrics of one customer from the accounts they own and the transactions sent from them."""
        accounts = list(accounts)
        sent = list(sent)
        return cls.from_totals(
            num_accounts=len(accounts),
            total_balance=sum((a.balance for a in accounts), Decimal(0)),
            num_transactions=len(sent),
            total_volume=sum((t.amount for t in sent), Decimal(0)),
            account_types=(a.account_type for a in accounts),
        )


def _decimal(name: str, value: Decimal | int | str) -> Decimal:
    if isinstance(value, (float, bool)):
        raise TypeError(f"{name} must be a Decimal (or int/str), not {type(value).__name__}: no float money")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except ArithmeticError:
        raise ValueError(f"{name}: not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{name} must be finite, got {value!r}")
    return result
