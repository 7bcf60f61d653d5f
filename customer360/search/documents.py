"""What the search index holds per customer: a :class:`PersonDocument`, built from model records.

A document is the person plus their addresses and phones, denormalised, because a search for
"Bob Smith, Main St, (212) 555-0100" must be answered from one place. It holds only what the
``Person`` GraphQL type already shows (names, date of birth, addresses, phones): never the SSN,
so no search, match or score can leak it. Phones keep their recorded spelling for display and
carry their normalised key (``12125550100``) computed once at index time.

Both index implementations store exactly this (SQLite as JSON, OpenSearch as ``_source``), so
the neutral scorer re-ranks candidates from either backend identically.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from customer360.graphstore.plan import (
    Direction,
    EdgeLabel,
    FindPersons,
    GetVertices,
    Hop,
    Keyset,
    Traverse,
    VertexLabel,
)
from customer360.graphstore.protocol import GraphStore
from customer360.model import Address, Person, Phone
from customer360.search.normalise import phone_key

LIVES_AT = (Hop(EdgeLabel.LIVES_AT, Direction.OUT),)
HAS_PHONE = (Hop(EdgeLabel.HAS_PHONE, Direction.OUT),)


@dataclass(frozen=True, slots=True)
class AddressDoc:
    street: str
    city: str
    state: str
    zip_code: str


@dataclass(frozen=True, slots=True)
class PhoneDoc:
    number: str  # as recorded
    key: str | None  # normalised (see normalise.phone_key); None when unreadable


@dataclass(frozen=True, slots=True)
class PersonDocument:
    person_id: str
    first_name: str
    last_name: str
    date_of_birth: str  # ISO date
    addresses: tuple[AddressDoc, ...] = ()
    phones: tuple[PhoneDoc, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "date_of_birth": self.date_of_birth,
            "addresses": [[a.street, a.city, a.state, a.zip_code] for a in self.addresses],
            "phones": [[p.number, p.key] for p in self.phones],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PersonDocument":
        return cls(
            data["person_id"], data["first_name"], data["last_name"], data["date_of_birth"],
            tuple(AddressDoc(*a) for a in data["addresses"]),
            tuple(PhoneDoc(p[0], p[1]) for p in data["phones"]),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "PersonDocument":
        return cls.from_dict(json.loads(text))


def build_document(person: Person, addresses: Iterable[Address] = (), phones: Iterable[Phone] = ()) -> PersonDocument:
    """The document for one person (addresses and phones in id order, so equal input gives
    equal documents)."""
    return PersonDocument(
        person.person_id, person.first_name, person.last_name, person.date_of_birth,
        tuple(AddressDoc(a.street, a.city, a.state, a.zip_code) for a in sorted(addresses, key=lambda a: a.address_id)),
        tuple(PhoneDoc(p.number, phone_key(p.number)) for p in sorted(phones, key=lambda p: p.phone_id)),
    )


async def documents_for(store: GraphStore, persons: Sequence[Person]) -> list[PersonDocument]:
    """Documents for ``persons``, reading their addresses and phones in two batched calls."""
    keys = tuple(p.person_id for p in persons)
    if not keys:
        return []
    addresses = await store.traverse(Traverse(VertexLabel.PERSON, keys, LIVES_AT))
    phones = await store.traverse(Traverse(VertexLabel.PERSON, keys, HAS_PHONE))
    return [build_document(p, addresses[p.person_id].rows, phones[p.person_id].rows) for p in persons]


async def documents_by_id(store: GraphStore, person_ids: Sequence[str]) -> list[PersonDocument]:
    """Documents for these person ids (unknown ids are skipped): three batched calls."""
    found = await store.get_vertices(GetVertices(VertexLabel.PERSON, tuple(person_ids)))
    return await documents_for(store, [found[k] for k in person_ids if k in found])


async def iter_documents(store: GraphStore, batch_size: int = 1000) -> AsyncIterator[list[PersonDocument]]:
    """Every person of the graph as documents, a page at a time (three calls per page), in
    name order with keyset paging, so it works the same on SQLite and JanusGraph."""
    after: Keyset | None = None
    while True:
        page = await store.find_persons(FindPersons(first=batch_size, after=after))
        if not page.rows:
            return
        yield await documents_for(store, page.rows)
        if not page.has_next:
            return
        after = page.keysets[-1]
