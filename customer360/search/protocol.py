"""What every search index offers, and the results it gives, whatever the backend.

``C360_SEARCH`` picks the implementation (see :func:`customer360.search.open_search_index`):
the embedded SQLite index by default, OpenSearch in production. Resolvers depend only on this
protocol. Both implementations fetch *candidates* their own way (FTS5 trigram and key lookups,
or OpenSearch's fuzzy, phonetic and keyword queries) and then re-rank them with the same
neutral scorer (:mod:`customer360.search.scoring`), so scores, ``matched`` explanations and
record-linkage evidence mean the same on both.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from customer360.search.documents import PersonDocument
from customer360.search.normalise import parse_text


class SearchUnavailable(RuntimeError):
    """The search backend cannot be reached (down, or too slow); the rest of the service
    keeps serving, and the request may be retried later."""

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(f"search backend {backend} is unavailable: {reason}")
        self.backend = backend
        self.reason = reason


class MatchKind(enum.Enum):
    """How a query word met a field (best first)."""

    EXACT = "exact"
    NICKNAME = "nickname"  # Bob / Robert
    FUZZY = "fuzzy"  # a typo or two, or a transposed date
    PHONETIC = "phonetic"  # sounds alike (Metaphone)
    PREFIX = "prefix"  # search-as-you-type


class SearchField(enum.Enum):
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    DATE_OF_BIRTH = "date_of_birth"
    PHONE = "phone"
    STREET = "street"
    CITY = "city"
    STATE = "state"
    ZIP_CODE = "zip_code"


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """One part of the query matched one field of the person: what was typed, the stored
    value it met, how, and how similar (0..1)."""

    field: SearchField
    kind: MatchKind
    query: str
    value: str
    similarity: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    person_id: str
    score: float  # 0..1
    matched: tuple[FieldMatch, ...]


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[SearchHit]
    has_next: bool


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """Free search text, parsed (see :func:`customer360.search.normalise.parse_text`), and
    how many candidates to re-rank."""

    text: str
    words: tuple[str, ...]
    numbers: tuple[str, ...]
    phones: tuple[str, ...]  # phone keys
    dates: tuple[str, ...]  # ISO dates
    window: int  # candidates to fetch; the page is cut from their re-ranked order

    @classmethod
    def parse(cls, text: str, window: int) -> "SearchRequest":
        words, numbers, phones, dates = parse_text(text)
        return cls(text, words, numbers, phones, dates, window)

    @property
    def empty(self) -> bool:
        return not (self.words or self.numbers or self.phones or self.dates)


@dataclass(frozen=True, slots=True)
class AddressQuery:
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.street or self.city or self.state or self.zip_code)


@dataclass(frozen=True, slots=True)
class MatchQuery:
    """A record to link against the customers (an onboarding form, or a customer's own
    document when looking for its duplicates). Every field is optional."""

    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: str | None = None  # ISO date
    phones: tuple[str, ...] = ()  # phone keys
    addresses: tuple[AddressQuery, ...] = ()
    exclude_person_id: str | None = None  # a customer is not its own duplicate

    @property
    def empty(self) -> bool:
        return not (self.first_name or self.last_name or self.date_of_birth or self.phones
                    or any(not a.empty for a in self.addresses))


class Agreement(enum.Enum):
    AGREE = "agree"
    PARTIAL = "partial"  # a nickname, a typo, a transposed date, a ZIP prefix...
    DISAGREE = "disagree"
    MISSING = "missing"  # not given, or the customer has no such value: no evidence


@dataclass(frozen=True, slots=True)
class Evidence:
    """One field's comparison, as record-linkage tools explain a link: the two values, their
    similarity, the agreement level and its weight (log2 of m/u: positive for agreement)."""

    field: SearchField
    input_value: str | None
    candidate_value: str | None
    similarity: float
    agreement: Agreement
    level: str  # e.g. "exact", "nickname", "transposed", "typo", "phonetic", "different"
    weight: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    person_id: str
    score: float  # probability of being the same person, 0..1
    evidence: tuple[Evidence, ...]


ProgressCallback = Callable[[int], None]


@runtime_checkable
class SearchIndex(Protocol):
    backend: str

    async def search(self, request: SearchRequest, first: int, offset: int = 0) -> SearchPage:
        """Free-text search: ``first`` hits after ``offset``, best first (score, then id)."""

    async def match(self, query: MatchQuery, first: int) -> list[MatchResult]:
        """The customers most likely to be the person ``query`` describes, best first."""

    async def possible_duplicates(
        self, person_ids: Sequence[str], first: int, min_score: float
    ) -> dict[str, list[MatchResult]]:
        """Per person (all in one batch: a fixed number of backend calls), other customers
        scoring at least ``min_score`` as the same person, best first."""

    async def documents(self, person_ids: Sequence[str]) -> dict[str, PersonDocument]:
        """Stored documents by person id (absent ids are left out)."""

    async def upsert(self, documents: Sequence[PersonDocument]) -> None:
        """Add or replace documents (by person id); visible to searches when it returns."""

    async def delete(self, person_ids: Sequence[str]) -> None: ...

    async def rebuild(
        self, batches: AsyncIterator[list[PersonDocument]], progress: ProgressCallback | None = None
    ) -> int:
        """Build a fresh index from ``batches`` while searches keep using the old one, then
        swap atomically; returns the documents indexed."""

    async def count(self) -> int: ...

    async def ping(self) -> None:
        """Raise :class:`SearchUnavailable` unless the backend answers now (for ``/readyz``)."""

    async def close(self) -> None: ...
