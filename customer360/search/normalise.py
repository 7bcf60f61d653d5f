"""Normalising what people type and what the bank stored, the same way on both sides.

Both index implementations (embedded and OpenSearch) and the scorer call these functions, so
"Bob" finds "Robert", "(212) 555-0100" finds "+1 212 555 0100" and "Main St" finds "Main
Street" identically everywhere: there is one copy of this logic.

The hard parts come from maintained data rather than hand-made tables:

* nicknames: the ``nicknames`` package (a hand-curated name/nickname list);
* phonetic codes: ``jellyfish`` (Metaphone). OpenSearch 2.19 has no phonetic analysis plugin
  on Maven Central (only 3.x does), so the codes are computed here and indexed as keywords,
  which also keeps both implementations' phonetic matching identical;
* phone numbers: ``phonenumbers`` (libphonenumber), with the US as the default region;
* street abbreviations: the USPS Publication 28 tables shipped by ``usaddress-scourgify``.

Everything is folded to lower-case ASCII letters and digits, so the tokens produced here are
always ``[a-z0-9]+``: safe to quote into an FTS5 expression and to use as keyword terms.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

import jellyfish
import phonenumbers
from nicknames import NickNamer
from scourgify.address_constants import (
    DIRECTIONAL_REPLACEMENTS,
    OCCUPANCY_TYPE_ABBREVIATIONS,
    STATE_ABBREVIATIONS,
    STREET_TYPE_ABBREVIATIONS,
)

DEFAULT_REGION = "US"
MIN_WORD = 2  # search-as-you-type starts at two characters

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019`]")


# ------------------------------------------------------------------ text and names


def fold(text: str) -> str:
    """Lower-case ASCII: accents dropped (``José`` -> ``jose``), apostrophes removed
    (``O'Brien`` -> ``obrien``), every other non-alphanumeric run becomes one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    ascii_text = _APOSTROPHES.sub("", ascii_text)
    return _NON_ALNUM.sub(" ", ascii_text).strip()


def tokens(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    folded = fold(text)
    return folded.split() if folded else []


@lru_cache(maxsize=65536)
def phonetic(token: str) -> str:
    """Metaphone code of a word (``smith`` and ``smyth`` -> ``SM0``); empty for numbers."""
    if not token.isalpha():
        return ""
    return jellyfish.metaphone(token)


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=65536)
def nickname_keys(token: str) -> frozenset[str]:
    """The name itself and the formal names it is a nickname of.

    Two first names are nickname-related when their keys intersect: ``bob`` has keys
    ``{bob, robert, ...}`` and ``robert`` has ``{robert, ...}``, so they meet at ``robert``;
    ``bob`` and ``rob`` meet at ``robert`` too.
    """
    if not token.isalpha():
        return frozenset({token})
    return frozenset({token, *(fold(name) for name in _nicknamer().canonicals_of(token))})


@lru_cache(maxsize=65536)
def formal_names(token: str) -> frozenset[str]:
    """The names ``token`` is listed as a nickname of (``bob`` -> ``robert``...), without itself."""
    return nickname_keys(token) - {token}


def are_nicknames(a: str, b: str) -> bool:
    """One is listed as a nickname of the other (``bob`` / ``robert``). Two nicknames of the
    same name (``bob`` / ``rob``) share a key, so they meet as *candidates*, but they are not
    scored as nicknames of each other: through a shared formal name, ``lina`` would be
    ``paula`` (both of ``paulina``)."""
    return a != b and (a in nickname_keys(b) or b in nickname_keys(a))


def nicknames_of(token: str) -> list[str]:
    """Nicknames of a formal first name (``robert`` -> ``bob``, ``rob``...), sorted; for the generator."""
    return sorted(fold(name) for name in _nicknamer().nicknames_of(token))


def max_edits(word: str) -> int:
    """Typos tolerated in a word, as OpenSearch's ``fuzziness: AUTO``: none up to 2
    characters, one up to 5, two beyond."""
    if len(word) <= 2:
        return 0
    if len(word) <= 5:
        return 1
    return 2


# ------------------------------------------------------------------ phones


_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension)\s*\d+\s*$", re.I)


@lru_cache(maxsize=65536)
def phone_key(raw: str) -> str | None:
    """Country code and national number as one digit string (``12125550100``), whatever the
    spelling: ``(212) 555-0100``, ``+1 212 555 0100``, ``2125550100``, ``001-212-555-0100x12``.
    Extensions are dropped (they reach the same line). None when it is not a phone number."""
    text = _EXTENSION.sub("", raw.strip())
    digits = re.sub(r"\D", "", text)
    if len(digits) < 7:
        return None
    if text.startswith("00"):  # an international call prefix written instead of "+"
        text = "+" + digits[2:]
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return f"{number.country_code}{number.national_number}"


# North-American spellings with optional country code and extension, or any "+..." number.
_PHONE_IN_TEXT = re.compile(
    r"(?<![\w/])(?:"
    r"(?:\+|00)?(?:1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}"
    r"|\+\d{1,3}(?:[\s.-]?\d){6,12}"
    r")(?:\s*(?:x|ext\.?)\s*\d{1,6})?(?![\w/])",
    re.I,
)


# ------------------------------------------------------------------ dates


_ISO_DATE = re.compile(r"(?<![\d/.-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/.-])")
_US_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?![\d/.-])")
_COMPACT_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")


def _valid(year: int, month: int, day: int) -> str | None:
    if not 1800 <= year <= 2199:  # a birth date, not a typo of one
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """An ISO date from ``1985-03-07``, ``1985/3/7``, ``03/07/1985`` (US order) or
    ``19850307``; None when ``text`` is not one of those or not a real day."""
    text = text.strip()
    for pattern, order in ((_ISO_DATE, "ymd"), (_US_DATE, "mdy"), (_COMPACT_DATE, "ymd")):
        match = pattern.fullmatch(text)
        if match:
            parts = dict(zip(order, (int(g) for g in match.groups())))
            return _valid(parts["y"], parts["m"], parts["d"])
    return None


@lru_cache(maxsize=65536)
def date_variants(iso: str) -> frozenset[str]:
    """Dates a clerk may have typed for ``iso``: day and month swapped, or two adjacent
    digits transposed (``1985`` -> ``1958``); only real days, never ``iso`` itself."""
    digits = iso.replace("-", "")
    found: set[str] = set()
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    swapped = _valid(year, day, month)
    if swapped:
        found.add(swapped)
    for i in range(len(digits) - 1):
        if digits[i] == digits[i + 1]:
            continue
        chars = list(digits)
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
        text = "".join(chars)
        candidate = _valid(int(text[:4]), int(text[4:6]), int(text[6:]))
        if candidate:
            found.add(candidate)
    found.discard(iso)
    return frozenset(found)


# ------------------------------------------------------------------ addresses


def _canonical_street_word(word: str) -> str:
    upper = word.upper()
    for table in (STREET_TYPE_ABBREVIATIONS, DIRECTIONAL_REPLACEMENTS, OCCUPANCY_TYPE_ABBREVIATIONS):
        if upper in table:
            return table[upper].lower()
    return word


_STREET_TYPES = frozenset(v.lower() for v in STREET_TYPE_ABBREVIATIONS.values())
_DIRECTIONALS = frozenset(v.lower() for v in DIRECTIONAL_REPLACEMENTS.values())
_UNITS = frozenset(v.lower() for v in OCCUPANCY_TYPE_ABBREVIATIONS.values())
STOP_WORDS = _STREET_TYPES | _DIRECTIONALS | _UNITS
"""Canonical street types, directions and unit words: they match half the bank, so they help
the score but never select candidates on their own."""


@lru_cache(maxsize=65536)
def street_tokens(street: str) -> tuple[str, ...]:
    """Street words in the USPS abbreviations of Publication 28, so that ``Street``, ``Str``
    and ``St`` all become ``st`` and ``Apartment`` becomes ``apt``."""
    return tuple(_canonical_street_word(word) for word in tokens(street))


def canonical_street_word(word: str) -> str:
    """One already-folded word as :func:`street_tokens` would spell it."""
    return _canonical_street_word(word)


def is_stop_word(word: str) -> bool:
    return word in STOP_WORDS


_STATE_CODES = frozenset(STATE_ABBREVIATIONS.values())


def state_code(text: str) -> str | None:
    """``NY``, ``ny`` or ``New York`` -> ``ny``; None when it names no state."""
    upper = " ".join(tokens(text)).upper()
    if upper in _STATE_CODES:
        return upper.lower()
    code = STATE_ABBREVIATIONS.get(upper)
    return code.lower() if code else None


def zip5(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    return digits[:5] if len(digits) >= 5 else None


# ------------------------------------------------------------------ free text


def parse_text(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Split free search text into ``(words, numbers, phones, dates)``.

    Dates and phone numbers are recognised first (in any of the spellings above) and taken
    out, so their digits are not read again as house numbers or ZIP codes. Words are folded
    and at least two characters long; numbers are the remaining digit runs. Phones are
    :func:`phone_key` keys and dates ISO dates.
    """
    dates: list[str] = []
    rest = text

    def take_date(match: re.Match[str]) -> str:
        iso = parse_date(match.group(0))
        if iso is None:
            return match.group(0)
        dates.append(iso)
        return " "

    for pattern in (_ISO_DATE, _US_DATE, _COMPACT_DATE):
        rest = pattern.sub(take_date, rest)

    phones: list[str] = []

    def take_phone(match: re.Match[str]) -> str:
        key = phone_key(match.group(0))
        if key is None:
            return match.group(0)
        phones.append(key)
        return " "

    rest = _PHONE_IN_TEXT.sub(take_phone, rest)
    words: list[str] = []
    numbers: list[str] = []
    for token in tokens(rest):
        if token.isdigit():
            numbers.append(token)
        elif len(token) >= MIN_WORD:
            words.append(token)
    return tuple(words), tuple(numbers), tuple(dict.fromkeys(phones)), tuple(dict.fromkeys(dates))
