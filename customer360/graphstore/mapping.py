"""How the plan's vertices are stored, once for every backend: property names and records.

Both stores keep a vertex as the same named properties (a SQLite table's columns, a
JanusGraph vertex's property keys): the business key first, money as integer cents. Only
where those properties live differs (a table name, a vertex label), and that stays in each
backend's ``schema`` module. Emitters ask here which stored property a plan property is;
decoders turn stored properties (by name, never by position) back into model records here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from customer360.encryption import FieldCipher
from customer360.graphstore.plan import VertexLabel
from customer360.model import (
    Account,
    AccountStatus,
    AccountType,
    Address,
    Person,
    Phone,
    PhoneType,
    SeedPerson,
    Transaction,
    cents,
    from_cents,
    ssn_last_four,
)

E = TypeVar("E", AccountType, AccountStatus, PhoneType)

STORED_PROPERTIES: dict[VertexLabel, tuple[str, ...]] = {
    VertexLabel.PERSON: ("person_id", "first_name", "last_name", "date_of_birth", "ssn_last4"),
    VertexLabel.ACCOUNT: ("account_id", "owner_person_id", "account_type", "balance_cents", "status"),
    VertexLabel.ADDRESS: ("address_id", "street", "city", "state", "zip_code"),
    VertexLabel.PHONE: ("phone_id", "number", "phone_type"),
    VertexLabel.TRANSACTION: ("transaction_id", "from_account_id", "to_account_id", "amount_cents", "timestamp"),
}
"""Every stored property of a vertex that a read selects, business key first. The encrypted SSN
(:data:`SSN_ENCRYPTED`) is stored too but never selected here: only :class:`PersonSecrets` reads it."""

SSN_ENCRYPTED = "ssn_encrypted"

_PLAN_PROPERTIES: dict[VertexLabel, dict[str, str]] = {
    VertexLabel.PERSON: {"first_name": "first_name", "last_name": "last_name"},
    VertexLabel.ACCOUNT: {"account_type": "account_type", "balance": "balance_cents", "status": "status"},
    VertexLabel.ADDRESS: {"state": "state", "city": "city", "zip_code": "zip_code"},
    VertexLabel.PHONE: {"phone_type": "phone_type"},
    VertexLabel.TRANSACTION: {"amount": "amount_cents", "timestamp": "timestamp"},
}
"""The properties a plan step may filter or order on, by plan name (money in cents)."""


def stored_name(label: VertexLabel, prop: str) -> str:
    """The stored property behind a plan property (``balance`` -> ``balance_cents``)."""
    if prop == label.key:
        return label.key
    try:
        return _PLAN_PROPERTIES[label][prop]
    except KeyError:
        raise ValueError(f"{label.value} has no property {prop!r}") from None


def _by_value(kind: type[E]) -> Callable[[str], E]:
    """``kind(value)`` through a dict: an enum's call costs a microsecond, and a nested query
    decodes a thousand of them. An unknown value still raises the enum's own ``ValueError``."""
    members = {member.value: member for member in kind}
    return lambda value: members.get(value) or kind(value)


_account_type, _account_status, _phone_type = _by_value(AccountType), _by_value(AccountStatus), _by_value(PhoneType)

_RECORDS: dict[VertexLabel, Callable[[Mapping[str, Any]], Any]] = {
    VertexLabel.PERSON: lambda v: Person(
        v["person_id"], v["first_name"], v["last_name"], v["date_of_birth"], v["ssn_last4"],
    ),
    VertexLabel.ACCOUNT: lambda v: Account(
        v["account_id"], v["owner_person_id"], _account_type(v["account_type"]),
        from_cents(v["balance_cents"]), _account_status(v["status"]),
    ),
    VertexLabel.ADDRESS: lambda v: Address(v["address_id"], v["street"], v["city"], v["state"], v["zip_code"]),
    VertexLabel.PHONE: lambda v: Phone(v["phone_id"], v["number"], _phone_type(v["phone_type"])),
    VertexLabel.TRANSACTION: lambda v: Transaction(
        v["transaction_id"], v["from_account_id"], v["to_account_id"], from_cents(v["amount_cents"]), v["timestamp"],
    ),
}


def record_of(label: VertexLabel, stored: Mapping[str, Any]) -> Any:
    """The model record for a vertex's stored properties (a ``sqlite3.Row``, a value map)."""
    return _RECORDS[label](stored)


def records_of(label: VertexLabel) -> Callable[[Mapping[str, Any]], Any]:
    """:func:`record_of` for one label, looked up once for a decoder's loop over many rows."""
    return _RECORDS[label]


def stored_person(person: SeedPerson, cipher: FieldCipher) -> dict[str, Any]:
    """A seed person as stored properties: :data:`STORED_PROPERTIES` order, then the encrypted SSN."""
    return {"person_id": person.person_id, "first_name": person.first_name, "last_name": person.last_name,
            "date_of_birth": person.date_of_birth, "ssn_last4": ssn_last_four(person.ssn),
            SSN_ENCRYPTED: cipher.encrypt(person.ssn, person.person_id)}


def stored_of(record: Account | Address | Phone | Transaction) -> dict[str, Any]:
    """A model record as stored properties, in :data:`STORED_PROPERTIES` order (for writers)."""
    if isinstance(record, Account):
        return {"account_id": record.account_id, "owner_person_id": record.owner_person_id,
                "account_type": record.account_type.value, "balance_cents": cents(record.balance),
                "status": record.status.value}
    if isinstance(record, Address):
        return {"address_id": record.address_id, "street": record.street, "city": record.city,
                "state": record.state, "zip_code": record.zip_code}
    if isinstance(record, Phone):
        return {"phone_id": record.phone_id, "number": record.number, "phone_type": record.phone_type.value}
    if isinstance(record, Transaction):
        return {"transaction_id": record.transaction_id, "from_account_id": record.from_account_id,
                "to_account_id": record.to_account_id, "amount_cents": cents(record.amount),
                "timestamp": record.timestamp}
    raise TypeError(f"not a vertex record: {record!r}")
