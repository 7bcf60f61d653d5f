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
    min_amount: Decimal | None = strawberry.field(default=None, description=(
        "At least this amount (a decimal string with at most two decimals)."
    ))
    max_amount: Decimal | None = strawberry.field(default=None, description="At most this amount.")


@strawberry.input(description="Every filter given must hold.")
class CustomerFilter:
    name_contains: str | None = strawberry.field(default=None, description="Case-insensitive part of 'First Last'.")
    state: str | None = strawberry.field(default=None, description="Two-letter US state of any of their addresses.")
    has_account_type: AccountType | None = strawberry.field(default=None, description="Owns at least one account of this type.")
    min_total_balance: Decimal | None = strawberry.field(default=None, description="Total balance at least this (a decimal string).")
    max_total_balance: Decimal | None = strawberry.field(default=None, description="Total balance at most this.")
    segment: SegmentTier | None = strawberry.field(default=None, description=(
        "In this value tier (the same rules as Person.segment, kept in step at load time)."
    ))
    risk_level: RiskLevel | None = strawberry.field(default=None, description="At this risk level (the same rules as Person.risk).")


@strawberry.input(description="How to sort customers; the id breaks ties, so pages are stable.")
class CustomerOrder:
    field: CustomerOrderField = strawberry.field(default=CustomerOrderField.NAME, description="What to sort by.")
    direction: SortDirection = strawberry.field(default=SortDirection.ASC, description="Which way.")
