"""Labelled duplicates: some customers entered a second time, the way it happens at a bank.

A duplicate is the same person onboarded again (another branch, another product) with the
slips a clerk makes: a typo in a name, a nickname for the first name, a transposed birth date,
the same phone in another spelling, the street with its suffix abbreviated. Each duplicate
gets its own address and phone rows (a different spelling is a different row), and one new
checking account, so every generator guarantee still holds (every person owns an account and
has one or two addresses and phones). The labels go to ``duplicates.csv``:
``person_id, duplicate_of, kinds`` (kinds separated by ``;``), which is what the search
quality benchmark measures against.

Determinism without disturbing the bank: the originals are chosen by reservoir sampling
while pass 1 writes them (O(duplicates) memory), with a ``random.Random`` of its own seeded
from the run's seed, and the duplicates are written after every original row with ids after
the last ones. The main generator's random stream is never touched, so a bank with
duplicates is the bank without them plus the extra rows; transactions never involve a
duplicate's account.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from scourgify.address_constants import (
    OCCUPANCY_TYPE_ABBREVIATIONS,
    STREET_TYPE_ABBREVIATIONS,
)

from customer360.generator.csvfiles import DUPLICATES_FILE
from customer360.generator.customers import shift_years
from customer360.search.normalise import date_variants, nicknames_of

__all__ = ["DUPLICATES_FILE", "KINDS", "DuplicateInjector", "one_typo"]

TYPO = "typo"
NICKNAME = "nickname"
TRANSPOSED_DATE = "transposed_date"
PHONE_FORMAT = "phone_format"
STREET_ABBREVIATION = "street_abbreviation"
KINDS = (TYPO, NICKNAME, TRANSPOSED_DATE, PHONE_FORMAT, STREET_ABBREVIATION)

_KEYBOARD = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok", "o": "ipl",
    "p": "ol", "a": "qsz", "s": "awdz", "d": "sefx", "f": "drgc", "g": "fthv", "h": "gyjb", "j": "hukn",
    "k": "jilm", "l": "kop", "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhjm",
    "m": "njk",
}  # fmt: skip

_PHONE_SPELLINGS = ("({a}) {e}-{l}", "+1 {a} {e} {l}", "{a}{e}{l}", "{a}-{e}-{l}", "{a}.{e}.{l}", "+1-{a}-{e}-{l}")


def one_typo(rng: random.Random, word: str) -> str:
    """``word`` with one slip of the keyboard: a neighbouring key, a letter dropped or
    doubled, or two letters swapped. The first letter keeps its case."""
    if len(word) < 2:
        return word
    lower = word.lower()
    for _ in range(10):
        op = rng.randrange(4)
        i = rng.randrange(len(lower))
        if op == 0 and lower[i] in _KEYBOARD:
            typed = lower[:i] + rng.choice(_KEYBOARD[lower[i]]) + lower[i + 1:]
        elif op == 1 and len(lower) > 3:
            typed = lower[:i] + lower[i + 1:]
        elif op == 2:
            typed = lower[:i] + lower[i] + lower[i:]
        elif op == 3 and i < len(lower) - 1 and lower[i] != lower[i + 1]:
            typed = lower[:i] + lower[i + 1] + lower[i] + lower[i + 2:]
        else:
            continue
        if typed != lower:
            return typed[0].upper() + typed[1:] if word[0].isupper() else typed
    return word


def abbreviate_street(street: str) -> str | None:
    """The street with its suffix (and unit word) in USPS abbreviations, None if nothing to
    abbreviate: ``12 Joshua Courts Suite 2`` -> ``12 Joshua Cts Ste 2``."""
    words = street.split()
    changed = False
    for i, word in enumerate(words[1:], start=1):
        key = word.rstrip(".").upper()
        short = STREET_TYPE_ABBREVIATIONS.get(key) or OCCUPANCY_TYPE_ABBREVIATIONS.get(key)
        if short and short != key and short.isalpha():
            words[i] = short.title()
            changed = True
    return " ".join(words) if changed else None


def respell_phone(rng: random.Random, number: str) -> str | None:
    """The same North-American number in another spelling (extension dropped), or None."""
    digits = "".join(ch for ch in number.split("x")[0] if ch.isdigit())
    if len(digits) == 13 and digits.startswith("001"):
        digits = digits[3:]
    elif len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return None
    spellings = [s for s in _PHONE_SPELLINGS if s.format(a=digits[:3], e=digits[3:6], l=digits[6:]) != number]
    template = rng.choice(spellings)
    return template.format(a=digits[:3], e=digits[3:6], l=digits[6:])


@dataclass(slots=True)
class _Original:
    person: list[str]
    addresses: list[list[str]] = field(default_factory=list)
    phones: list[list[str]] = field(default_factory=list)


class _Tap:
    """A csv writer that also shows each row to the duplicate sampler."""

    def __init__(self, writer: Any, seen) -> None:
        self._writer = writer
        self._seen = seen

    def writerow(self, row) -> Any:
        self._seen(row)
        return self._writer.writerow(row)


class DuplicateInjector:
    """Chooses ``count`` originals while pass 1 writes (reservoir sampling) and writes their
    duplicates after it."""

    def __init__(self, seed: int, count: int, start: date) -> None:
        self.count = count
        self._rng = random.Random(f"c360-duplicates-{seed}")
        self._start = start
        self._reservoir: list[_Original] = []
        self._seen_persons = 0
        self._current: _Original | None = None

    def tap(self, writers: dict[str, Any]) -> dict[str, Any]:
        if self.count <= 0:
            return writers
        return {
            **writers,
            "persons": _Tap(writers["persons"], self._person),
            "addresses": _Tap(writers["addresses"], self._address),
            "phones": _Tap(writers["phones"], self._phone),
        }

    def _person(self, row) -> None:
        self._seen_persons += 1
        original = _Original(list(row))
        self._current = None
        if len(self._reservoir) < self.count:
            self._reservoir.append(original)
            self._current = original
        else:
            slot = self._rng.randrange(self._seen_persons)
            if slot < self.count:
                self._reservoir[slot] = original
                self._current = original

    def _address(self, row) -> None:
        if self._current is not None and row[1] == self._current.person[0]:
            self._current.addresses.append(list(row))

    def _phone(self, row) -> None:
        if self._current is not None and row[1] == self._current.person[0]:
            self._current.phones.append(list(row))

    def write(self, writers: dict[str, Any], labels: Any, persons: int, accounts: int,
              next_address: int, next_phone: int) -> tuple[int, int, int, int]:
        """Write the duplicates; returns (persons, accounts, address rows, phone rows) written."""
        rng = self._rng
        originals = sorted(self._reservoir, key=lambda o: o.person[0])
        address_rows = phone_rows = 0
        for number, original in enumerate(originals, start=1):
            person_id = f"P{persons + number:07d}"
            person = list(original.person)
            person[0] = person_id
            address = list(original.addresses[0])
            phone = list(original.phones[0])
            kinds = self._kinds(original, address, phone)
            if TYPO in kinds:
                column = 2 if NICKNAME in kinds or rng.random() < 0.5 else 1
                person[column] = one_typo(rng, person[column])
            if NICKNAME in kinds:
                nickname = rng.choice(nicknames_of(person[1].lower()))
                person[1] = nickname[0].upper() + nickname[1:]
            if TRANSPOSED_DATE in kinds:
                person[3] = rng.choice(self._dates(person[3]))
            if PHONE_FORMAT in kinds:
                phone[2] = respell_phone(rng, phone[2]) or phone[2]
            if STREET_ABBREVIATION in kinds:
                address[2] = abbreviate_street(address[2]) or address[2]
            writers["persons"].writerow(person)
            writers["addresses"].writerow([f"ADR{next_address:08d}", person_id, *address[2:]])
            writers["phones"].writerow([f"PH{next_phone:08d}", person_id, phone[2], phone[3]])
            next_address += 1
            next_phone += 1
            address_rows += 1
            phone_rows += 1
            opened = self._start - timedelta(days=rng.randint(1, 365))
            writers["accounts"].writerow(
                (f"ACC{accounts + number:08d}", person_id, "checking", f"{rng.uniform(10, 5000):.2f}", "active",
                 opened.isoformat())
            )
            labels.writerow((person_id, original.person[0], ";".join(k for k in KINDS if k in kinds)))
        return len(originals), len(originals), address_rows, phone_rows

    def _dates(self, iso: str) -> list[str]:
        """Transpositions that keep the person an adult of at most 90 on the start day."""
        latest = shift_years(self._start, -18)
        earliest = shift_years(self._start, -91) + timedelta(days=1)
        return sorted(v for v in date_variants(iso) if earliest <= date.fromisoformat(v) <= latest)

    def _kinds(self, original: _Original, address: list[str], phone: list[str]) -> set[str]:
        rng = self._rng
        applicable = [TYPO, PHONE_FORMAT]
        if nicknames_of(original.person[1].lower()):
            applicable.append(NICKNAME)
        if self._dates(original.person[3]):
            applicable.append(TRANSPOSED_DATE)
        if abbreviate_street(address[2]):
            applicable.append(STREET_ABBREVIATION)
        if respell_phone(random.Random(0), phone[2]) is None:
            applicable.remove(PHONE_FORMAT)
        chosen = {kind for kind in applicable if rng.random() < 0.5}
        if not chosen:
            chosen.add(rng.choice(sorted(applicable)))
        return chosen
