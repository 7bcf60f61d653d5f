"""The neutral scorer: re-ranks candidates from either index, and explains every score.

Backends only *find candidates* (cheaply, generously); the order users see and the
explanations come from here, from the stored :class:`PersonDocument`, so the embedded index
and OpenSearch rank and explain alike.

Two scores, for two questions:

* :func:`rank_search` answers "who did the user mean by this text?". Each part of the text
  (a word, a number, a phone, a date) is matched against every field and keeps its best
  match: exact 1.0, nickname 0.9, fuzzy 0.8-0.9 (by edit distance), phonetic 0.75, prefix
  0.45-0.9 (by how much of the word was typed). The score is the weighted mean over the
  parts (phones and dates weigh more than a word), so a customer matching every word beats
  one matching some, and a word nobody matches costs every customer the same.

* :func:`link` answers "is this record the same person as that customer?" the
  Fellegi-Sunter way: each field comparison lands on an agreement level with an *m*
  probability (how often true matches show that level) and a *u* probability (how often
  non-matches among *candidate pairs* do); the evidence weight is log2(m/u), the weights add
  up, and a prior turns the sum into a probability. The u values are for candidate pairs
  (people who already share a name, phone, address or birth date), not random pairs: that
  is why a shared address or last name weighs little (households share them) while a
  different first name or birth date weighs a lot. The values are set by hand from the usual
  record-linkage defaults, not fitted to the synthetic bank.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA, JaroWinkler

from customer360.search.documents import PersonDocument
from customer360.search.normalise import (
    are_nicknames,
    canonical_street_word,
    date_variants,
    fold,
    is_stop_word,
    max_edits,
    phonetic,
    state_code,
    street_tokens,
    tokens,
    zip5,
)
from customer360.search.protocol import (
    AddressQuery,
    Agreement,
    Evidence,
    FieldMatch,
    MatchKind,
    MatchQuery,
    MatchResult,
    SearchField,
    SearchHit,
    SearchRequest,
)

# ------------------------------------------------------------------ document features


@dataclass(frozen=True, slots=True)
class Features:
    """A document's values, folded and tokenised once (cached per document)."""

    first: tuple[str, ...]
    last: tuple[str, ...]
    word_targets: tuple[tuple[SearchField, str, str], ...]  # (field, token, value as stored)
    house_numbers: tuple[tuple[str, str], ...]  # (number, street as stored)
    states: tuple[tuple[str, str], ...]  # (code, as stored)
    zips: tuple[tuple[str, str], ...]  # (five digits, as stored)
    phones: tuple[tuple[str, str], ...]  # (key, as stored)


@lru_cache(maxsize=200_000)
def features(doc: PersonDocument) -> Features:
    first, last = tuple(tokens(doc.first_name)), tuple(tokens(doc.last_name))
    targets = [
        *((SearchField.FIRST_NAME, t, doc.first_name) for t in first),
        *((SearchField.LAST_NAME, t, doc.last_name) for t in last),
    ]
    numbers, states, zips = [], [], []
    for address in doc.addresses:
        for word in street_tokens(address.street):
            if word.isdigit():
                numbers.append((word, address.street))
            else:
                targets.append((SearchField.STREET, word, address.street))
        targets.extend((SearchField.CITY, word, address.city) for word in tokens(address.city))
        code = state_code(address.state)
        if code:
            states.append((code, address.state))
        zip_code = zip5(address.zip_code)
        if zip_code:
            zips.append((zip_code, address.zip_code))
    return Features(
        first, last, tuple(targets), tuple(numbers), tuple(states), tuple(zips),
        tuple((p.key, p.number) for p in doc.phones if p.key),
    )


# ------------------------------------------------------------------ free-text search

WORD_WEIGHT = 1.0
STOP_WORD_WEIGHT = 0.3  # "st", "apt", "n": they help, they do not decide
NUMBER_WEIGHT = 1.0
PHONE_WEIGHT = 2.0
DATE_WEIGHT = 1.5

_FIELD_FACTOR = {
    SearchField.FIRST_NAME: 1.0,
    SearchField.LAST_NAME: 1.0,
    SearchField.CITY: 0.9,
    SearchField.STREET: 0.85,
    SearchField.STATE: 0.8,
}


@lru_cache(maxsize=500_000)
def word_similarity(word: str, token: str, *, first_name: bool = False) -> tuple[MatchKind, float] | None:
    """How a typed word meets one stored token: the best kind and its strength (0..1).
    Cached: the same few thousand words and tokens meet over and over."""
    if word == token:
        return MatchKind.EXACT, 1.0
    best: tuple[MatchKind, float] | None = None
    if first_name and are_nicknames(word, token):
        best = (MatchKind.NICKNAME, 0.9)
    if len(word) >= 3 and len(token) >= 3:
        allowed = max_edits(word)
        distance = OSA.distance(word, token, score_cutoff=allowed)
        if distance <= allowed:
            strength = 0.9 - 0.1 * distance if len(word) > 4 else 0.85 - 0.05 * distance
            if best is None or strength > best[1]:
                best = (MatchKind.FUZZY, strength)
        code = phonetic(word)
        if code and code == phonetic(token) and (best is None or best[1] < 0.75):
            best = (MatchKind.PHONETIC, 0.75)
    if len(word) >= 2 and len(word) < len(token) and token.startswith(word):
        strength = 0.45 + 0.45 * len(word) / len(token)
        if best is None or strength > best[1]:
            best = (MatchKind.PREFIX, strength)
    return best


def _word_matches(word: str, f: Features) -> list[tuple[float, int, FieldMatch]]:
    """Every stored token this word meets, as (score, target number, match), best first."""
    found: list[tuple[float, int, FieldMatch]] = []
    street_word = canonical_street_word(word)
    for number, (field, token, stored) in enumerate(f.word_targets):
        similarity = word_similarity(street_word if field is SearchField.STREET else word, token,
                                     first_name=field is SearchField.FIRST_NAME)
        if similarity is not None:
            score = similarity[1] * _FIELD_FACTOR[field]
            found.append((score, number, FieldMatch(field, similarity[0], word, stored, round(similarity[1], 4))))
    if len(word) == 2:
        for code, stored in f.states:
            if code == word:
                found.append((_FIELD_FACTOR[SearchField.STATE], -1, FieldMatch(SearchField.STATE, MatchKind.EXACT, word, stored, 1.0)))
    found.sort(key=lambda item: -item[0])
    return found


def _assign_words(words: Sequence[str], f: Features) -> list[FieldMatch | None]:
    """Each word's best match, a stored token serving one word only (greedy, strongest first):
    "John Johnso" must not count John's first name twice."""
    options = [_word_matches(word, f) for word in words]
    order = sorted(range(len(words)), key=lambda i: -(options[i][0][0] if options[i] else 0.0))
    used: set[int] = set()
    chosen: list[FieldMatch | None] = [None] * len(words)
    for i in order:
        for _score, target, match in options[i]:
            if target == -1 or target not in used:
                used.add(target)
                chosen[i] = match
                break
    return chosen


def _match_score(match: FieldMatch) -> float:
    return match.similarity * _FIELD_FACTOR.get(match.field, 1.0)


def score_document(request: SearchRequest, doc: PersonDocument) -> SearchHit:
    f = features(doc)
    total_weight = 0.0
    gained = 0.0
    matched: list[FieldMatch] = []
    for word, found in zip(request.words, _assign_words(request.words, f)):
        weight = WORD_WEIGHT
        if is_stop_word(canonical_street_word(word)) and (
            found is None or found.field not in (SearchField.FIRST_NAME, SearchField.LAST_NAME)
        ):
            weight = STOP_WORD_WEIGHT  # "St", "Apt", "W": unless it is someone's name ("West")
        total_weight += weight
        if found is not None:
            gained += weight * _match_score(found)
            matched.append(found)
    for number in request.numbers:
        total_weight += NUMBER_WEIGHT
        found = None
        for zip_code, stored in f.zips:
            if number == zip_code:
                found = FieldMatch(SearchField.ZIP_CODE, MatchKind.EXACT, number, stored, 1.0)
                break
        if found is None:
            for house, stored in f.house_numbers:  # house or unit number
                if number == house:
                    found = FieldMatch(SearchField.STREET, MatchKind.EXACT, number, stored, 1.0)
                    break
        if found is None and len(number) >= 3:
            for zip_code, stored in f.zips:
                if zip_code.startswith(number):
                    found = FieldMatch(SearchField.ZIP_CODE, MatchKind.PREFIX, number, stored, 0.7)
                    break
        if found is not None:
            gained += NUMBER_WEIGHT * found.similarity
            matched.append(found)
    for phone in request.phones:
        total_weight += PHONE_WEIGHT
        for key, stored in f.phones:
            if key == phone:
                gained += PHONE_WEIGHT
                matched.append(FieldMatch(SearchField.PHONE, MatchKind.EXACT, phone, stored, 1.0))
                break
    for day in request.dates:
        total_weight += DATE_WEIGHT
        if doc.date_of_birth == day:
            gained += DATE_WEIGHT
            matched.append(FieldMatch(SearchField.DATE_OF_BIRTH, MatchKind.EXACT, day, doc.date_of_birth, 1.0))
        elif doc.date_of_birth in date_variants(day):
            gained += DATE_WEIGHT * 0.7
            matched.append(FieldMatch(SearchField.DATE_OF_BIRTH, MatchKind.FUZZY, day, doc.date_of_birth, 0.7))
    score = gained / total_weight if total_weight else 0.0
    return SearchHit(doc.person_id, round(score, 4), tuple(matched))


def rank_search(request: SearchRequest, docs: Iterable[PersonDocument]) -> list[SearchHit]:
    """Candidates re-ranked: best score first, then person id (stable pages); customers that
    match no part of the text are dropped."""
    hits = [score_document(request, doc) for doc in docs]
    hits = [hit for hit in hits if hit.matched]
    hits.sort(key=lambda hit: (-hit.score, hit.person_id))
    return hits


# ------------------------------------------------------------------ record linkage


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    agreement: Agreement
    m: float
    u: float

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)


FIRST_NAME_LEVELS = {
    "exact": Level("exact", Agreement.AGREE, 0.86, 0.05),
    "swapped": Level("swapped", Agreement.AGREE, 0.02, 0.002),
    "nickname": Level("nickname", Agreement.PARTIAL, 0.05, 0.01),
    "typo": Level("typo", Agreement.PARTIAL, 0.05, 0.01),
    "phonetic": Level("phonetic", Agreement.PARTIAL, 0.01, 0.01),
    "different": Level("different", Agreement.DISAGREE, 0.01, 0.93),
}
LAST_NAME_LEVELS = {
    "exact": Level("exact", Agreement.AGREE, 0.90, 0.3),  # households share it
    "swapped": Level("swapped", Agreement.AGREE, 0.02, 0.01),
    "typo": Level("typo", Agreement.PARTIAL, 0.06, 0.03),  # Johnson / Johnston
    "phonetic": Level("phonetic", Agreement.PARTIAL, 0.01, 0.02),
    "different": Level("different", Agreement.DISAGREE, 0.01, 0.67),
}
DATE_LEVELS = {
    "exact": Level("exact", Agreement.AGREE, 0.90, 0.002),
    "transposed": Level("transposed", Agreement.PARTIAL, 0.06, 0.001),
    "different": Level("different", Agreement.DISAGREE, 0.04, 0.997),
}
PHONE_LEVELS = {
    "exact": Level("exact", Agreement.AGREE, 0.85, 0.15),  # household landlines
    "different": Level("different", Agreement.DISAGREE, 0.15, 0.85),
}
STREET_LEVELS = {
    "exact": Level("exact", Agreement.AGREE, 0.85, 0.3),  # households share it
    "similar": Level("similar", Agreement.PARTIAL, 0.06, 0.04),
    "different": Level("different", Agreement.DISAGREE, 0.09, 0.68),
}
ZIP_LEVELS = {
    "exact": Level("exact", Agreement.AGREE, 0.9, 0.35),
    "prefix": Level("prefix", Agreement.PARTIAL, 0.05, 0.05),
    "different": Level("different", Agreement.DISAGREE, 0.05, 0.6),
}
CITY_LEVELS = {
    "exact": Level("exact", Agreement.AGREE, 0.9, 0.4),
    "typo": Level("typo", Agreement.PARTIAL, 0.05, 0.04),
    "different": Level("different", Agreement.DISAGREE, 0.05, 0.58),
}
STATE_LEVELS = {
    "exact": Level("exact", Agreement.AGREE, 0.95, 0.5),
    "different": Level("different", Agreement.DISAGREE, 0.05, 0.5),
}
# Every partial level weighs less than its field's exact level: a slip never counts for more
# than a perfect agreement (a unit test keeps it so).
PRIOR_LOG2_ODDS = math.log2(1 / 50)
"""About one candidate pair in fifty is a true match before any field is compared."""


def _evidence(field: SearchField, given: str | None, stored: str | None, similarity: float, level: Level) -> Evidence:
    return Evidence(field, given, stored, round(similarity, 4), level.agreement, level.name, round(level.weight, 3))


def _missing(field: SearchField, given: str | None, stored: str | None) -> Evidence:
    return Evidence(field, given, stored, 0.0, Agreement.MISSING, "missing", 0.0)


def _name_level(given: str, stored: str, levels: dict[str, Level], nicknames: bool) -> tuple[str, float]:
    a, b = "".join(tokens(given)), "".join(tokens(stored))
    similarity = JaroWinkler.normalized_similarity(a, b)
    if a == b:
        return "exact", 1.0
    if nicknames and are_nicknames(a, b):
        return "nickname", similarity
    longest = a if len(a) >= len(b) else b
    if OSA.distance(a, b) <= max(1, max_edits(longest)) or similarity >= 0.93:
        return "typo", similarity
    if phonetic(a) and phonetic(a) == phonetic(b):
        return "phonetic", similarity
    return "different", similarity


def _compare_names(query: MatchQuery, doc: PersonDocument) -> list[Evidence]:
    out: list[Evidence] = []
    first, last = query.first_name, query.last_name
    swapped = bool(
        first and last and fold(first) == fold(doc.last_name) and fold(last) == fold(doc.first_name)
        and fold(first) != fold(last)
    )
    if not first:
        out.append(_missing(SearchField.FIRST_NAME, first, doc.first_name))
    elif swapped:
        out.append(_evidence(SearchField.FIRST_NAME, first, doc.last_name, 1.0, FIRST_NAME_LEVELS["swapped"]))
    else:
        level, similarity = _name_level(first, doc.first_name, FIRST_NAME_LEVELS, nicknames=True)
        out.append(_evidence(SearchField.FIRST_NAME, first, doc.first_name, similarity, FIRST_NAME_LEVELS[level]))
    if not last:
        out.append(_missing(SearchField.LAST_NAME, last, doc.last_name))
    elif swapped:
        out.append(_evidence(SearchField.LAST_NAME, last, doc.first_name, 1.0, LAST_NAME_LEVELS["swapped"]))
    else:
        level, similarity = _name_level(last, doc.last_name, LAST_NAME_LEVELS, nicknames=False)
        out.append(_evidence(SearchField.LAST_NAME, last, doc.last_name, similarity, LAST_NAME_LEVELS[level]))
    return out


def _compare_date(query: MatchQuery, doc: PersonDocument) -> Evidence:
    given = query.date_of_birth
    if not given or not doc.date_of_birth:
        return _missing(SearchField.DATE_OF_BIRTH, given, doc.date_of_birth)
    if given == doc.date_of_birth:
        return _evidence(SearchField.DATE_OF_BIRTH, given, doc.date_of_birth, 1.0, DATE_LEVELS["exact"])
    similarity = 1.0 - OSA.normalized_distance(given, doc.date_of_birth)
    if doc.date_of_birth in date_variants(given):
        return _evidence(SearchField.DATE_OF_BIRTH, given, doc.date_of_birth, similarity, DATE_LEVELS["transposed"])
    return _evidence(SearchField.DATE_OF_BIRTH, given, doc.date_of_birth, similarity, DATE_LEVELS["different"])


def _compare_phones(query: MatchQuery, doc: PersonDocument, f: Features) -> Evidence:
    if not query.phones or not f.phones:
        return _missing(SearchField.PHONE, query.phones[0] if query.phones else None,
                        f.phones[0][1] if f.phones else None)
    for key, stored in f.phones:
        if key in query.phones:
            return _evidence(SearchField.PHONE, key, stored, 1.0, PHONE_LEVELS["exact"])
    return _evidence(SearchField.PHONE, query.phones[0], f.phones[0][1], 0.0, PHONE_LEVELS["different"])


def _street_similarity(a: str, b: str) -> float:
    left, right = " ".join(street_tokens(a)), " ".join(street_tokens(b))
    if left == right:
        return 1.0
    return JaroWinkler.normalized_similarity(left, right)


def _compare_addresses(query: MatchQuery, doc: PersonDocument) -> list[Evidence]:
    """The best pair of addresses (most agreeing sub-fields), compared field by field."""
    given_addresses = [a for a in query.addresses if not a.empty]
    if not given_addresses or not doc.addresses:
        given = given_addresses[0] if given_addresses else None
        stored = doc.addresses[0] if doc.addresses else None
        return [
            _missing(SearchField.STREET, given.street if given else None, stored.street if stored else None),
            _missing(SearchField.CITY, given.city if given else None, stored.city if stored else None),
            _missing(SearchField.STATE, given.state if given else None, stored.state if stored else None),
            _missing(SearchField.ZIP_CODE, given.zip_code if given else None, stored.zip_code if stored else None),
        ]
    best: list[Evidence] = []
    best_weight = -math.inf
    for given in given_addresses:
        for stored in doc.addresses:
            row: list[Evidence] = []
            if given.street:
                similarity = _street_similarity(given.street, stored.street)
                level = "exact" if similarity == 1.0 else "similar" if similarity >= 0.9 else "different"
                row.append(_evidence(SearchField.STREET, given.street, stored.street, similarity, STREET_LEVELS[level]))
            else:
                row.append(_missing(SearchField.STREET, None, stored.street))
            if given.city:
                a, b = fold(given.city), fold(stored.city)
                similarity = JaroWinkler.normalized_similarity(a, b)
                level = "exact" if a == b else "typo" if similarity >= 0.93 else "different"
                row.append(_evidence(SearchField.CITY, given.city, stored.city, similarity, CITY_LEVELS[level]))
            else:
                row.append(_missing(SearchField.CITY, None, stored.city))
            if given.state:
                same = state_code(given.state) == state_code(stored.state)
                row.append(_evidence(SearchField.STATE, given.state, stored.state, float(same),
                                     STATE_LEVELS["exact" if same else "different"]))
            else:
                row.append(_missing(SearchField.STATE, None, stored.state))
            if given.zip_code:
                a, b = zip5(given.zip_code) or "", zip5(stored.zip_code) or ""
                level = "exact" if a and a == b else "prefix" if a[:3] and a[:3] == b[:3] else "different"
                similarity = 1.0 if level == "exact" else 0.6 if level == "prefix" else 0.0
                row.append(_evidence(SearchField.ZIP_CODE, given.zip_code, stored.zip_code, similarity, ZIP_LEVELS[level]))
            else:
                row.append(_missing(SearchField.ZIP_CODE, None, stored.zip_code))
            weight = sum(e.weight for e in row)
            if weight > best_weight:
                best, best_weight = row, weight
    return best


def link(query: MatchQuery, doc: PersonDocument) -> MatchResult:
    """Compare ``query`` with one customer: per-field evidence and the match probability."""
    f = features(doc)
    evidence = [*_compare_names(query, doc), _compare_date(query, doc), _compare_phones(query, doc, f),
                *_compare_addresses(query, doc)]
    total = PRIOR_LOG2_ODDS + sum(e.weight for e in evidence)
    probability = 1.0 / (1.0 + 2.0 ** (-total))
    return MatchResult(doc.person_id, round(probability, 4), tuple(evidence))


def rank_matches(
    query: MatchQuery, docs: Iterable[PersonDocument], first: int, min_score: float = 0.0
) -> list[MatchResult]:
    """Candidates linked and ordered: most probable first, then person id."""
    results = [
        link(query, doc) for doc in docs if doc.person_id != query.exclude_person_id
    ]
    results = [r for r in results if r.score >= min_score]
    results.sort(key=lambda r: (-r.score, r.person_id))
    return results[:first]


def match_query_of(doc: PersonDocument) -> MatchQuery:
    """A customer's own document as a record to link (looking for its duplicates)."""
    return MatchQuery(
        first_name=doc.first_name, last_name=doc.last_name, date_of_birth=doc.date_of_birth,
        phones=tuple(p.key for p in doc.phones if p.key),
        addresses=tuple(AddressQuery(a.street, a.city, a.state, a.zip_code) for a in doc.addresses),
        exclude_person_id=doc.person_id,
    )


def page(hits: Sequence[SearchHit], first: int, offset: int) -> tuple[list[SearchHit], bool]:
    return list(hits[offset:offset + first]), len(hits) > offset + first
