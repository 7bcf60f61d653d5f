"""Input objects: filters and orderings clients pass as arguments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from customer360.schema.enums import (
    AccountType,
    CustomerOrderField,
    RiskLevel,
    SegmentTier,
    SortDirection,
)


@strawberry.input(description="Keep transactions in a time range and/or an amount range.")
class TransactionFilter:
    since: datetime | None = strawberry.field(default=None, description="At or after this instant (UTC if no zone).")
    until: datetime | None = strawberry.field(default=None, description="Strictly before this instant.")
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None


@strawberry.input(description="Every filter given must hold.")
class CustomerFilter:
    name_contains: str | None = strawberry.field(default=None, description="Case-insensitive part of 'First Last'.")
    state: str | None = strawberry.field(default=None, description="Two-letter US state of any of their addresses.")
    has_account_type: AccountType | None = None
    min_total_balance: Decimal | None = None
    max_total_balance: Decimal | None = None
    segment: SegmentTier | None = None
    risk_level: RiskLevel | None = None


@strawberry.input
class CustomerOrder:
    field: CustomerOrderField = CustomerOrderField.NAME
    direction: SortDirection = SortDirection.ASC
