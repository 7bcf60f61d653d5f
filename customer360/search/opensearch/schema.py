"""The OpenSearch index: settings and mappings, built with opensearch-py's DSL helpers.

Every text field receives words already normalised in Python (folded to ``[a-z0-9]``, street
words in their USPS abbreviations), so the analyzers only split on spaces; the one piece of
analysis done by OpenSearch is the edge n-grams behind search-as-you-type. Phonetic codes
(Metaphone) and nickname keys are computed in Python too and indexed as keywords: OpenSearch
2.19 has no phonetic analysis plugin on Maven Central (only 3.x has one), and computing them
in one place keeps both index implementations' phonetic and nickname matching identical.

Names are one field (``names``: first and last words) and street and city words another
(``address_words``): a typed word needs one fuzzy query per field, and fuzzy queries are
the expensive part; which name or address field a word met is decided by the neutral scorer
afterwards, from ``doc``.

``doc`` holds the :class:`PersonDocument` itself (stored, not indexed) for the neutral scorer.

The service reads and writes through an *alias* (``c360-persons``); each build is a concrete
index ``<alias>-<UTC timestamp>``, so a rebuild fills a new index and swaps the alias in one
atomic ``_aliases`` call.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from opensearchpy.helpers.analysis import analyzer, token_filter
from opensearchpy.helpers.field import Keyword, Object, Text
from opensearchpy.helpers.mapping import Mapping

from customer360.search.documents import PersonDocument
from customer360.search.normalise import (
    nickname_keys,
    phonetic,
    state_code,
    street_tokens,
    tokens,
    zip5,
)

WORDS = analyzer("c360_words", tokenizer="whitespace", filter=["lowercase"])
PREFIXES = analyzer(
    "c360_prefixes", tokenizer="whitespace",
    filter=["lowercase", token_filter("c360_edge", "edge_ngram", min_gram=2, max_gram=20)],
)


def _words_with_prefixes() -> Text:
    return Text(analyzer=WORDS, fields={"prefix": Text(analyzer=PREFIXES, search_analyzer=WORDS)})


def mapping() -> Mapping:
    m = Mapping()
    m.meta("dynamic", "strict")
    m.field("person_id", Keyword())
    m.field("names", _words_with_prefixes())
    m.field("name_phonetic", Keyword())
    m.field("first_nickname", Keyword())
    m.field("dob", Keyword())
    m.field("phones", Keyword())
    m.field("address_words", Text(analyzer=WORDS))
    m.field("house_numbers", Keyword())
    m.field("states", Keyword())
    m.field("zips", Keyword())
    m.field("doc", Object(enabled=False))
    return m


def index_body(*, building: bool = False) -> dict[str, Any]:
    """Settings and mappings for a new concrete index. While ``building``, no refreshes and
    no replicas (a bulk load goes several times faster); :func:`serving_settings` restores."""
    analysis: dict[str, Any] = {}
    for a in (WORDS, PREFIXES):
        for section, entries in a.get_analysis_definition().items():
            analysis.setdefault(section, {}).update(entries)
    settings: dict[str, Any] = {"number_of_shards": 1, "analysis": analysis}
    settings.update(
        {"number_of_replicas": 0, "refresh_interval": "-1"} if building else {"number_of_replicas": 0}
    )
    return {"settings": settings, "mappings": mapping().to_dict()}


def serving_settings() -> dict[str, Any]:
    return {"index": {"refresh_interval": "1s"}}


def concrete_name(alias: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S-%f")
    return f"{alias}-{stamp}"


def source(doc: PersonDocument) -> dict[str, Any]:
    """The indexed fields of one document (all words normalised here, see the module doc)."""
    first, last = tokens(doc.first_name), tokens(doc.last_name)
    address_words, houses, states, zips = [], [], [], []
    for address in doc.addresses:
        words = street_tokens(address.street)
        address_words.append(" ".join([*(w for w in words if not w.isdigit()), *tokens(address.city)]))
        houses.extend(w for w in words if w.isdigit())
        code = state_code(address.state)
        if code:
            states.append(code)
        zip_code = zip5(address.zip_code)
        if zip_code:
            zips.append(zip_code)
    return {
        "person_id": doc.person_id,
        "names": " ".join(first + last),
        "name_phonetic": sorted({phonetic(t) for t in first + last if phonetic(t)}),
        "first_nickname": sorted({key for t in first for key in nickname_keys(t)}),
        "dob": doc.date_of_birth,
        "phones": sorted({p.key for p in doc.phones if p.key}),
        "address_words": address_words,
        "house_numbers": sorted(set(houses)),
        "states": sorted(set(states)),
        "zips": sorted(set(zips)),
        "doc": doc.to_dict(),
    }
