"""One row's values -> a model record, or the problems that keep it from being one.

Every check a cell gets (dates, SSNs, amounts with at most two decimals, timestamps, enum
spellings) lives here, so the loader and its tests agree on what a valid row is. A problem
says what is wrong and what was expected, never the value itself: the file, row and column
find it, and seed files hold personal data that has no place in a load's output or logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from customer360.ingest.seed_files import (
    ACCOUNTS_FILE,
    ADDRESSES_FILE,
    PERSONS_FILE,
    PHONES_FILE,
    TRANSACTIONS_FILE,
    Problem,
)
from customer360.model import (
    Account,
    AccountStatus,
    AccountType,
    Address,
    Phone,
    PhoneLink,
    PhoneType,
    Residence,
    SeedPerson,
    Transaction,
    parse_enum,
)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SSN_DASHED = re.compile(r"\d{3}-\d{2}-\d{4}")
_SSN_DIGITS = re.compile(r"\d{9}")
_INTEGER = re.compile(r"[+-]?\d+")
_CENT = Decimal("0.01")
_MAX_AMOUNT_DIGITS = 15  # integer digits: cents still fit a signed 64-bit integer
_MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z


def _required(values: Mapping[str, str], column: str, problems: list[Problem]) -> str:
    value = values.get(column, "")
    if not value:
        problems.append((column, "required value is empty"))
    return value


def _name(values: Mapping[str, str], column: str, problems: list[Problem]) -> str:
    """A required name without control characters: they are no part of a name, and the
    customers list sorts names with one of them as the separator (JanusGraph's NAME_ORDER)."""
    value = _required(values, column, problems)
    control = next((char for char in value if char < " " or char == "\x7f"), None)
    if control is not None:
        problems.append((column, f"contains a control character (U+{ord(control):04X})"))
    return value


def _decimal(values: Mapping[str, str], column: str, problems: list[Problem], *, positive: bool) -> Decimal | None:
    raw = _required(values, column, problems)
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        problems.append((column, "is not a decimal amount"))
        return None
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.append((column, "has more than 2 decimal places"))
        return None
    if amount.adjusted() >= _MAX_AMOUNT_DIGITS:
        problems.append((column, f"is too large (at most {_MAX_AMOUNT_DIGITS} digits before the point)"))
        return None
    if positive and amount <= 0:
        problems.append((column, "must be greater than 0"))
        return None
    return amount.quantize(_CENT)


def _enum(values: Mapping[str, str], column: str, enum_type: Any, problems: list[Problem]) -> Any:
    raw = _required(values, column, problems)
    if not raw:
        return None
    try:
        return parse_enum(enum_type, raw)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_type)
        problems.append((column, f"is not a known {column.replace('_', ' ')} (expected one of {allowed})"))
        return None


def _date_of_birth(values: Mapping[str, str], problems: list[Problem]) -> str | None:
    column = "date_of_birth"
    raw = _required(values, column, problems)
    if not raw:
        return None
    if not _DATE.fullmatch(raw):
        problems.append((column, "is not a date (expected YYYY-MM-DD)"))
        return None
    try:
        born = date.fromisoformat(raw)
    except ValueError:
        problems.append((column, "is not a real date"))
        return None
    if born > date.today():
        problems.append((column, "is in the future"))
        return None
    return raw


def _ssn(values: Mapping[str, str], problems: list[Problem]) -> str | None:
    raw = _required(values, "ssn", problems)
    if not raw:
        return None
    if _SSN_DASHED.fullmatch(raw):
        return raw
    if _SSN_DIGITS.fullmatch(raw):
        return f"{raw[:3]}-{raw[3:5]}-{raw[5:]}"
    # The value is personal data: say what is expected, never echo it into logs.
    problems.append(("ssn", "is not an SSN: expected NNN-NN-NNNN or 9 digits (value not shown)"))
    return None


def _timestamp(values: Mapping[str, str], problems: list[Problem]) -> int | None:
    column = "timestamp"
    raw = _required(values, column, problems)
    if not raw:
        return None
    if _INTEGER.fullmatch(raw):
        seconds = int(raw)
    else:
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            problems.append(
                (column, "is not a timestamp (expected epoch seconds or an ISO-8601 date-time with a timezone)")
            )
            return None
        if moment.tzinfo is None:
            problems.append((column, "has no timezone (add Z or an offset such as +00:00)"))
            return None
        seconds = int(moment.timestamp() // 1)
    if seconds < 0:
        problems.append((column, "is before 1970-01-01"))
        return None
    if seconds > _MAX_EPOCH:
        problems.append((column, "is after the year 9999"))
        return None
    return seconds


def parse_person(values: Mapping[str, str]) -> tuple[SeedPerson | None, list[Problem]]:
    problems: list[Problem] = []
    person_id = _required(values, "person_id", problems)
    first_name = _name(values, "first_name", problems)
    last_name = _name(values, "last_name", problems)
    born = _date_of_birth(values, problems)
    ssn = _ssn(values, problems)
    if problems:
        return None, problems
    return SeedPerson(person_id, first_name, last_name, born, ssn), problems  # type: ignore[arg-type]


def parse_account(values: Mapping[str, str]) -> tuple[Account | None, list[Problem]]:
    problems: list[Problem] = []
    account_id = _required(values, "account_id", problems)
    owner = _required(values, "owner_person_id", problems)
    kind = _enum(values, "account_type", AccountType, problems)
    balance = _decimal(values, "balance", problems, positive=False)
    status = _enum(values, "account_status", AccountStatus, problems)
    if problems:
        return None, problems
    return Account(account_id, owner, kind, balance, status), problems  # type: ignore[arg-type]


def parse_residence(values: Mapping[str, str]) -> tuple[tuple[Address, Residence] | None, list[Problem]]:
    problems: list[Problem] = []
    address_id = _required(values, "address_id", problems)
    person_id = _required(values, "person_id", problems)
    street = _required(values, "street", problems)
    city = _required(values, "city", problems)
    state = _required(values, "state", problems)
    zip_code = _required(values, "zip_code", problems)  # text: leading zeros are kept
    if problems:
        return None, problems
    return (Address(address_id, street, city, state, zip_code), Residence(person_id, address_id)), problems


def parse_phone_link(values: Mapping[str, str]) -> tuple[tuple[Phone, PhoneLink] | None, list[Problem]]:
    problems: list[Problem] = []
    phone_id = _required(values, "phone_id", problems)
    person_id = _required(values, "person_id", problems)
    number = _required(values, "phone_number", problems)
    phone_type = _enum(values, "phone_type", PhoneType, problems) if "phone_type" in values else PhoneType.MOBILE
    if problems:
        return None, problems
    return (Phone(phone_id, number, phone_type), PhoneLink(person_id, phone_id)), problems


def parse_transaction(values: Mapping[str, str]) -> tuple[Transaction | None, list[Problem]]:
    problems: list[Problem] = []
    transaction_id = _required(values, "transaction_id", problems)
    source = _required(values, "from_account_id", problems)
    target = _required(values, "to_account_id", problems)
    amount = _decimal(values, "amount", problems, positive=True)
    timestamp = _timestamp(values, problems)
    if source and source == target:
        problems.append(("to_account_id", "is the same account as from_account_id"))
    if problems:
        return None, problems
    return Transaction(transaction_id, source, target, amount, timestamp), problems  # type: ignore[arg-type]


PARSERS: dict[str, Callable[[Mapping[str, str]], tuple[Any, list[Problem]]]] = {
    PERSONS_FILE: parse_person,
    ACCOUNTS_FILE: parse_account,
    ADDRESSES_FILE: parse_residence,
    PHONES_FILE: parse_phone_link,
    TRANSACTIONS_FILE: parse_transaction,
}
