"""Pools of realistic names and places, drawn from Faker once per seed.

Faker takes tens of microseconds per value; a million persons with fresh Faker values for every
field would spend minutes in Faker alone. Instead a few thousand values of each kind are drawn
once from a Faker instance seeded with the run's seed, and rows pick from them with the run's
``random.Random``. The pools are not de-duplicated on purpose: Faker draws common first and last
names more often, and keeping the repeats keeps that popularity skew (many Smiths, few Zimmermans),
which also gives households and fuzzy search realistic name collisions.

Every pool is a tuple built in a fixed order, so the same seed (and Faker version) always gives
the same pools; they are cached per seed because tests and benchmarks generate repeatedly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from faker import Faker

_NAMES = 2000
_STREETS = 3000
_LOCATIONS = 2000
_SECONDARY = 300
_EMAIL_DOMAINS = 40


@dataclass(frozen=True, slots=True)
class Name:
    """A name as shown, and the same name reduced to ``[a-z0-9]`` for e-mail local parts."""

    text: str
    slug: str


@dataclass(frozen=True, slots=True)
class Location:
    city: str
    state: str  # USPS two-letter code of one of the 50 states (or DC)
    zip_code: str  # five digits, leading zeros kept


@dataclass(frozen=True, slots=True)
class Pools:
    female_first_names: tuple[Name, ...]
    male_first_names: tuple[Name, ...]
    last_names: tuple[Name, ...]
    street_names: tuple[str, ...]
    secondary_units: tuple[str, ...]  # "Apt. 712", "Suite 584"
    locations: tuple[Location, ...]
    email_domains: tuple[str, ...]


def _name(text: str) -> Name:
    return Name(text, "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum()))


@lru_cache(maxsize=8)
def build_pools(seed: int) -> Pools:
    """Draw every pool from ``Faker('en_US')`` seeded with ``seed``, in a fixed order."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    female = tuple(_name(fake.first_name_female()) for _ in range(_NAMES))
    male = tuple(_name(fake.first_name_male()) for _ in range(_NAMES))
    last = tuple(_name(fake.last_name()) for _ in range(_NAMES))
    streets = tuple(fake.street_name() for _ in range(_STREETS))
    secondary = tuple(fake.secondary_address() for _ in range(_SECONDARY))
    locations = []
    for _ in range(_LOCATIONS):
        state = fake.state_abbr(include_territories=False, include_freely_associated_states=False)
        locations.append(Location(fake.city(), state, fake.zipcode_in_state(state)))
    domains = tuple(dict.fromkeys(fake.free_email_domain() for _ in range(_EMAIL_DOMAINS)))
    return Pools(female, male, last, streets, secondary, tuple(locations), domains)
