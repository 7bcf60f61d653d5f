"""Cross-sell: which products to offer a customer, and why.

Account types are compared as the normalised ``AccountType`` enum. The notebook compared
``'INVESTMENT'``/``'CREDIT_CARD'``/``'CHECKING'`` with the lower-case data, so its "no
investment account" and "no credit card" checks were always true (it offered customers
products they already held) and its checking-only rule never fired. That bug is not carried
over: the savings rule fires when the set of distinct account types is exactly {CHECKING}.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from customer360.insights.metrics import CustomerMetrics
from customer360.insights.reasons import Reason, count, money
from customer360.insights.rules import CrossSellRules
from customer360.model import AccountType


class Product(enum.Enum):
    INVESTMENT_ACCOUNT = "investment_account"
    CREDIT_CARD = "credit_card"
    SAVINGS_ACCOUNT = "savings_account"


@dataclass(frozen=True, slots=True)
class Recommendation:
    product: Product
    reason: Reason


def recommend_products(m: CustomerMetrics, rules: CrossSellRules) -> tuple[Recommendation, ...]:
    """Products to offer, in the notebook's order: investment, credit card, savings.

    - ``cross_sell.investment_account``: "total balance 60,000.00 > 50,000.00 and no investment account"
    - ``cross_sell.credit_card``: "35 transactions > 30 and no credit card account"
    - ``cross_sell.savings_account``: "only checking accounts (2 accounts)"

    A customer without accounts is offered no savings account (there is nothing to compare).
    """
    found: list[Recommendation] = []
    if m.total_balance > rules.investment_min_balance and AccountType.INVESTMENT not in m.account_types:
        detail = (
            f"total balance {money(m.total_balance, beside=rules.investment_min_balance)} "
            f"> {money(rules.investment_min_balance)} and no investment account"
        )
        found.append(Recommendation(Product.INVESTMENT_ACCOUNT, Reason("cross_sell.investment_account", detail)))
    if m.num_transactions > rules.credit_card_min_transactions and AccountType.CREDIT_CARD not in m.account_types:
        detail = (
            f"{count(m.num_transactions, 'transaction')} > {rules.credit_card_min_transactions:,} "
            "and no credit card account"
        )
        found.append(Recommendation(Product.CREDIT_CARD, Reason("cross_sell.credit_card", detail)))
    if m.account_types == {AccountType.CHECKING}:
        detail = f"only checking accounts ({count(m.num_accounts, 'account')})"
        found.append(Recommendation(Product.SAVINGS_ACCOUNT, Reason("cross_sell.savings_account", detail)))
    return tuple(found)
