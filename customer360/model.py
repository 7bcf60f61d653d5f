"""The bank's domain records, shared by the loader, every graph store and the insights.

These are plain frozen dataclasses so that nothing below the GraphQL layer depends on
Strawberry, and nothing above the store depends on how a backend spells a row. Money is
always ``Decimal`` (never float) and timestamps are epoch seconds in UTC, as in the seed CSVs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

E = TypeVar("E", bound=enum.Enum)


class AccountType(enum.Enum):
    """Account products. Values are the normalised (lower-case) spelling used in the CSVs."""

    CHECKING = "checking"
    SAVINGS = "savings"
    INVESTMENT = "investment"
    CREDIT_CARD = "credit_card"
    LOAN = "loan"


class AccountStatus(enum.Enum):
    ACTIVE = "active"
    DORMANT = "dormant"
    FROZEN = "frozen"
    CLOSED = "closed"


class PhoneType(enum.Enum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"


def parse_enum(enum_type: type[E], raw: str) -> E:
    """Parse a CSV or GraphQL spelling into ``enum_type``: any case, ``-`` or space for ``_``.

    The notebook compared ``'INVESTMENT'`` with ``'investment'`` and so never fired two of its
    cross-sell rules; every account type, status and phone type goes through here instead.
    """
    key = raw.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return enum_type(key)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_type)
        raise ValueError(f"unknown {enum_type.__name__} {raw!r} (expected one of {allowed})") from None


def cents(value: Decimal) -> int:
    """Exact integer cents, as every store keeps money (sums stay exact on every backend).

    Callers pass amounts with at most two decimals (the loader and the GraphQL arguments
    refuse more), so nothing is rounded here.
    """
    return int((value * 100).to_integral_exact())


def from_cents(value: int) -> Decimal:
    """Stored cents back to the ``Decimal`` amount the API shows (``12345`` -> ``123.45``)."""
    return Decimal(value).scaleb(-2)


def ssn_last_four(ssn: str) -> str:
    """The last four digits of an SSN: what is kept in clear beside the encrypted whole."""
    digits = [c for c in ssn if c.isdigit()]
    return "".join(digits[-4:]).rjust(4, "*")


@dataclass(frozen=True, slots=True)
class Person:
    """A person as read back: the SSN is not part of it (it is stored encrypted, and read
    apart, only for a caller allowed to see it in clear); its last four digits are."""

    person_id: str
    first_name: str
    last_name: str
    date_of_birth: str  # ISO date, YYYY-MM-DD
    ssn_last4: str


@dataclass(frozen=True, slots=True)
class SeedPerson:
    """A person as a seed file gives it, full SSN included: what a load writes (encrypted)."""

    person_id: str
    first_name: str
    last_name: str
    date_of_birth: str  # ISO date, YYYY-MM-DD
    ssn: str


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    owner_person_id: str
    account_type: AccountType
    balance: Decimal
    status: AccountStatus


@dataclass(frozen=True, slots=True)
class Address:
    address_id: str
    street: str
    city: str
    state: str
    zip_code: str


@dataclass(frozen=True, slots=True)
class Phone:
    phone_id: str
    number: str
    phone_type: PhoneType


@dataclass(frozen=True, slots=True)
class Transaction:
    transaction_id: str
    from_account_id: str
    to_account_id: str
    amount: Decimal
    timestamp: int  # epoch seconds, UTC


@dataclass(frozen=True, slots=True)
class Residence:
    """One person-address link (a row of ``aml_data_addresses.csv``)."""

    person_id: str
    address_id: str


@dataclass(frozen=True, slots=True)
class PhoneLink:
    """One person-phone link (a row of ``aml_data_phones.csv``)."""

    person_id: str
    phone_id: str
