"""GraphQL enums, exposed from the domain enums so the two can never drift apart."""

from __future__ import annotations

import enum

import strawberry

from customer360 import model

AccountType = strawberry.enum(model.AccountType, description="An account product.")
AccountStatus = strawberry.enum(model.AccountStatus, description="Whether an account can be used.")
PhoneType = strawberry.enum(model.PhoneType, description="What kind of line a phone number is.")


@strawberry.enum(description="What to sort customers by.")
class CustomerOrderField(enum.Enum):
    NAME = "name"
    TOTAL_BALANCE = "total_balance"


@strawberry.enum
class SortDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"
