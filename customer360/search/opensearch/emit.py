"""Requests -> OpenSearch query DSL objects (opensearch-py's ``Q`` classes and ``Search``).

Nothing here assembles JSON from strings: every value is an argument of a DSL object, which
serialises it. A word of the search text becomes one ``dis_max`` over the fields it could
mean (its best field counts, the others break ties): fuzzy name words (``fuzziness: AUTO``: one typo
up to 5 letters, two beyond), nickname keys, phonetic code, name prefix (search-as-you-type),
fuzzy street and city words. Phones, birth dates (and their transpositions), ZIP codes and
house numbers are keyword terms. OpenSearch's own score only picks the candidates; the
neutral scorer orders and explains them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opensearchpy.helpers.query import Bool, DisMax, Ids, Match, Query, Term, Terms
from opensearchpy.helpers.search import MultiSearch, Search

from customer360.search.normalise import (
    canonical_street_word,
    date_variants,
    is_stop_word,
    nickname_keys,
    phonetic,
    street_tokens,
    tokens,
    zip5,
)
from customer360.search.protocol import MatchQuery, SearchRequest

FUZZY = "AUTO"


def _word(word: str, *, scale: float = 1.0, prefixes: bool = True) -> Query:
    """Street types and directions (``st``, ``w``) look up no address words (half the bank
    has them), but they may still be names (``West``)."""
    street_word = canonical_street_word(word)
    options: list[Query] = [
        Match(names={"query": word, "fuzziness": FUZZY, "boost": 3.0 * scale}),
        Terms(first_nickname=sorted(nickname_keys(word)), boost=2.0 * scale),
    ]
    if not is_stop_word(street_word):
        options.append(Match(address_words={"query": street_word, "fuzziness": FUZZY, "boost": 1.0 * scale}))
    code = phonetic(word) if len(word) >= 3 else ""
    if code:
        options.append(Term(name_phonetic={"value": code, "boost": 1.5 * scale}))
    if prefixes:
        options.append(Match(**{"names.prefix": {"query": word, "boost": 1.2 * scale}}))
    return DisMax(queries=options, tie_breaker=0.1)


def _dates(day: str, boost: float) -> list[Query]:
    found: list[Query] = [Term(dob={"value": day, "boost": boost})]
    variants = sorted(date_variants(day))
    if variants:
        found.append(Terms(dob=variants, boost=boost / 2))
    return found


def search_query(request: SearchRequest) -> Query:
    should: list[Query] = []
    for word in request.words:
        should.append(_word(word))
    for number in request.numbers:
        if len(number) == 5:
            should.append(Term(zips={"value": number, "boost": 2.0}))
        should.append(Term(house_numbers={"value": number, "boost": 1.0}))
    if request.phones:
        should.append(Terms(phones=list(request.phones), boost=6.0))
    for day in request.dates:
        should.extend(_dates(day, 4.0))
    return Bool(should=should, minimum_should_match=1)


def match_query(query: MatchQuery) -> Query:
    should: list[Query] = []
    for word in tokens(query.first_name or ""):
        should.append(_word(word, scale=0.7, prefixes=False))
    for word in tokens(query.last_name or ""):
        should.append(_word(word, prefixes=False))
    if query.phones:
        should.append(Terms(phones=list(query.phones), boost=6.0))
    if query.date_of_birth:
        should.extend(_dates(query.date_of_birth, 4.0))
    for address in query.addresses:
        code = zip5(address.zip_code or "")
        if code:
            should.append(Term(zips={"value": code, "boost": 1.5}))
        words = street_tokens(address.street or "")
        if words and words[0].isdigit():
            should.append(Term(house_numbers={"value": words[0], "boost": 1.0}))
        text = " ".join(w for w in words if not w.isdigit() and not is_stop_word(w))
        if text:
            should.append(Match(address_words={"query": text, "boost": 0.5}))
    return Bool(should=should, minimum_should_match=1)


def _search(index: str, query: Query, size: int) -> Search:
    return Search(index=index).query(query).source(["doc"]).extra(size=size, track_total_hits=False)


def search_body(index: str, request: SearchRequest) -> dict[str, Any]:
    return _search(index, search_query(request), request.window).to_dict()


def match_body(index: str, query: MatchQuery, size: int) -> dict[str, Any]:
    return _search(index, match_query(query), size).to_dict()


def duplicates_body(index: str, queries: Sequence[MatchQuery], size: int) -> list[dict[str, Any]]:
    """One ``_msearch`` body: a header and a search per customer (one request for the batch)."""
    multi = MultiSearch(index=index)
    for query in queries:
        exclude = [Term(person_id=query.exclude_person_id)] if query.exclude_person_id else []
        multi = multi.add(_search(index, Bool(must=[match_query(query)], must_not=exclude), size))
    return multi.to_dict()


def documents_body(index: str, person_ids: Sequence[str]) -> dict[str, Any]:
    return _search(index, Ids(values=list(person_ids)), len(person_ids)).to_dict()
