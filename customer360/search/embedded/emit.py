"""Requests -> SQL for the embedded index: fixed statement texts, every value a bound parameter.

Lists of values travel as ONE JSON parameter read with ``json_each``, so a statement's text
never depends on the input (explain shows the same text for every search of a shape). The
one string that is composed is the FTS5 MATCH expression for trigram lookups, and it is bound
as a parameter too: it is built only from the trigrams of normalised words (``[a-z0-9^$]``),
each written as an FTS5 string literal (double quotes, quotes doubled), as the FTS5
documentation prescribes for arbitrary text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from customer360.backend_calls import CompiledQuery
from customer360.search.documents import PersonDocument
from customer360.search.normalise import (
    canonical_street_word,
    date_variants,
    formal_names,
    is_stop_word,
    phonetic,
    state_code,
    street_tokens,
    tokens,
    zip5,
)
from customer360.search.protocol import MatchQuery, SearchRequest

NAME = "n"
ADDRESS = "a"

# ------------------------------------------------------------------ what a document is indexed under


def name_tokens(doc: PersonDocument) -> tuple[list[str], list[str]]:
    return tokens(doc.first_name), tokens(doc.last_name)


def document_terms(doc: PersonDocument) -> set[str]:
    first, last = name_tokens(doc)
    terms: set[str] = set()
    for token in first + last:
        terms.add(f"n:{token}")
    for token in first:
        terms.update(f"nk:{key}" for key in formal_names(token))
    for a in first:  # the whole name as one key: a two-word search is then a few probes
        for b in last:
            terms.add(f"nn:{a}:{b}")
    for address in doc.addresses:
        words = street_tokens(address.street)
        house = words[0] if words and words[0].isdigit() else None
        for position, word in enumerate(words):
            if word.isdigit():
                if position == 0:
                    terms.add(f"h:{word}")
            elif not is_stop_word(word):
                terms.add(f"a:{word}")
                if house:  # house number and street word as one key, like the whole-name keys
                    terms.add(f"sa:{house}:{word}")
        terms.update(f"a:{word}" for word in tokens(address.city))
        code = zip5(address.zip_code)
        if code:
            terms.add(f"z:{code}")
        state = state_code(address.state)
        if state:
            terms.add(f"s:{state}")
    for phone in doc.phones:
        if phone.key:
            terms.add(f"p:{phone.key}")
    if doc.date_of_birth:
        terms.add(f"d:{doc.date_of_birth}")
    return terms


def vocabulary(doc: PersonDocument) -> set[tuple[str, str]]:
    """The words a document adds to the vocabulary, as ``(word, kind)``."""
    first, last = name_tokens(doc)
    words = {(token, NAME) for token in first + last if token.isalpha()}
    for address in doc.addresses:
        words.update((w, ADDRESS) for w in street_tokens(address.street) if w.isalpha() and not is_stop_word(w))
        words.update((w, ADDRESS) for w in tokens(address.city) if w.isalpha())
    return words


def deletions(word: str) -> set[str]:
    """``word`` and every string one deletion away from it (words of 3+ letters)."""
    if len(word) < 3:
        return set()
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}


def padded(word: str) -> str:
    return f"^{word}$"


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def trigram_expression(words: Iterable[str]) -> str | None:
    """``"^mi" OR "mic" OR ...`` for every word of 3+ letters; None when there is none."""
    grams: list[str] = []
    for word in words:
        if len(word) < 3:
            continue
        text = padded(word)
        grams.extend(text[i:i + 3] for i in range(len(text) - 2))
    unique = list(dict.fromkeys(grams))
    return " OR ".join(_fts_string(g) for g in unique) if unique else None


# ------------------------------------------------------------------ reading

FUZZY_CANDIDATES = 200  # vocabulary words from the trigram lookup, best first
PREFIX_WORDS = 30  # vocabulary words per typed prefix, most used first

_EXPAND_HEAD = """
SELECT 'deletion', d.deletion, d.token, d.kind FROM search_vocab_deletion AS d
 WHERE d.deletion IN (SELECT value FROM json_each(:deletions))
UNION ALL
SELECT 'phonetic', p.code, p.token, p.kind FROM search_vocab_phonetic AS p
 WHERE p.code IN (SELECT value FROM json_each(:codes)) AND p.kind = 'n'
UNION ALL
SELECT 'prefix', p.word, p.token, p.kind FROM (
    SELECT w.value AS word, v.token, v.kind,
           row_number() OVER (PARTITION BY w.value ORDER BY v.uses DESC, v.token) AS rank
      FROM json_each(:prefixes) AS w
      JOIN search_vocab AS v ON v.token > w.value AND v.token < w.value || '{'
) AS p WHERE p.rank <= :prefix_words"""

_EXPAND_TRIGRAMS = """
UNION ALL
SELECT 'trigram', NULL, t.padded, t.kind FROM (
    SELECT padded, kind FROM search_vocab_trigram WHERE search_vocab_trigram MATCH :trigrams
     ORDER BY rank LIMIT :fuzzy_candidates
) AS t"""


def compile_expand(words: Sequence[str], prefixes: Sequence[str]) -> CompiledQuery | None:
    """One statement finding, in the vocabulary, the words near each typed word (one
    deletion apart, or sharing trigrams), the words that sound like it, and the words each
    prefix starts."""
    all_deletions = sorted({d for word in words for d in deletions(word)})
    codes = sorted({phonetic(word) for word in words if len(word) >= 3 and phonetic(word)})
    expression = trigram_expression(words)
    if not all_deletions and not prefixes and expression is None:
        return None
    params: dict[str, object] = {
        "deletions": json.dumps(all_deletions),
        "codes": json.dumps(codes),
        "prefixes": json.dumps(sorted(set(prefixes))),
        "prefix_words": PREFIX_WORDS,
    }
    text = _EXPAND_HEAD
    if expression is not None:
        text += _EXPAND_TRIGRAMS
        params["trigrams"] = expression
        params["fuzzy_candidates"] = FUZZY_CANDIDATES
    return CompiledQuery("search.expand", text.strip(), params)


CANDIDATES = """
WITH wanted AS (
    SELECT value ->> '$[0]' AS part, value ->> '$[1]' AS term, value ->> '$[2]' AS weight FROM json_each(:terms)
), per_part AS (
    SELECT t.pid AS pid, MAX(wanted.weight) AS weight
      FROM wanted JOIN search_term AS t ON t.term = wanted.term
     GROUP BY t.pid, wanted.part
), scored AS (
    SELECT pid, SUM(weight) AS score FROM per_part
     GROUP BY pid
     ORDER BY score DESC, pid
     LIMIT :window
)
SELECT d.person_id, d.doc, scored.score FROM scored JOIN search_document AS d ON d.pid = scored.pid
 ORDER BY scored.score DESC, d.pid
""".strip()

NAME_PAIRS = """
WITH pairs AS (SELECT key AS rank, value AS term FROM json_each(:pairs)),
found AS (
    SELECT t.pid AS pid, MIN(pairs.rank) AS best FROM pairs JOIN search_term AS t ON t.term = pairs.term
     GROUP BY t.pid
     ORDER BY best, t.pid
     LIMIT :window
)
SELECT d.person_id, d.doc, found.best FROM found JOIN search_document AS d ON d.pid = found.pid
 ORDER BY found.best, d.pid
""".strip()

CANDIDATES_BATCH = """
WITH wanted AS (
    SELECT value ->> '$[0]' AS query, value ->> '$[1]' AS part, value ->> '$[2]' AS term, value ->> '$[3]' AS weight
      FROM json_each(:terms)
), per_part AS (
    SELECT wanted.query AS query, t.pid AS pid, MAX(wanted.weight) AS weight
      FROM wanted JOIN search_term AS t ON t.term = wanted.term
     GROUP BY wanted.query, t.pid, wanted.part
), scored AS (
    SELECT query, pid, SUM(weight) AS score FROM per_part GROUP BY query, pid
), ranked AS (
    SELECT query, pid, score, row_number() OVER (PARTITION BY query ORDER BY score DESC, pid) AS rank
      FROM scored
)
SELECT ranked.query, d.person_id, d.doc, ranked.score FROM ranked JOIN search_document AS d ON d.pid = ranked.pid
 WHERE ranked.rank <= :window
 ORDER BY ranked.query, ranked.rank
""".strip()

DOCUMENTS = """
SELECT person_id, doc FROM search_document WHERE person_id IN (SELECT value FROM json_each(:ids))
""".strip()

COUNT = "SELECT COUNT(*) FROM search_document"
PING = "SELECT 1 FROM search_document LIMIT 1"


Terms = dict[tuple[str, str], float]
"""(part of the request, term) -> weight. A candidate scores the best weight it reaches for each
part (a typed word, the phone, the birth date...), summed over the parts: a customer matching
two words fuzzily beats one matching a single word under three kinds of key."""


def compile_candidates(operation: str, terms: Terms, window: int) -> CompiledQuery:
    payload = json.dumps(sorted([part, term, weight] for (part, term), weight in terms.items()))
    return CompiledQuery(operation, CANDIDATES, {"terms": payload, "window": window})


MAX_PAIR_WORDS = 3
MAX_WORD_FORMS = 16
MAX_PAIRS = 600


def _word_forms(word: str, near: Expansion, starts: Expansion, sounds: dict[str, set[str]]) -> list[tuple[str, float]]:
    """The name words a typed word may stand for, with how much each counts (strongest first)."""
    forms: dict[str, float] = {word: 1.0}

    def add(token: str, weight: float) -> None:
        if weight > forms.get(token, 0.0):
            forms[token] = weight

    for formal in formal_names(word):
        add(formal, 0.85)
    for (token, kind), edits in near.get(word, {}).items():
        if kind == NAME:
            add(token, 0.8 if edits <= 1 else 0.6)
    for token in sounds.get(word, ()):
        add(token, 0.7)
    for token, kind in sorted(starts.get(word, {})):
        if kind == NAME:
            add(token, 0.5)
    return sorted(forms.items(), key=lambda item: (-item[1], item[0]))[:MAX_WORD_FORMS]


def _street_forms(word: str, near: Expansion) -> list[tuple[str, float]]:
    street_word = canonical_street_word(word)
    if is_stop_word(street_word):
        return []
    forms = {street_word: 1.0}
    for (token, kind), edits in near.get(word, {}).items():
        if kind == ADDRESS:
            forms.setdefault(token, 0.8 if edits <= 1 else 0.6)
    return sorted(forms.items(), key=lambda item: (-item[1], item[0]))[:MAX_WORD_FORMS]


def compile_name_pairs(request: SearchRequest, near: Expansion, starts: Expansion,
                       sounds: dict[str, set[str]]) -> CompiledQuery | None:
    """Pair keys for the two common shapes of search text. Two or three words only:
    whole-name keys (``nn:first:last``) for every pair of words in either order and every form
    of each word (typo, nickname, sound-alike, completion). Numbers and words (an address):
    house-number-and-street-word keys (``sa:12:main``). Most likely first. The customers that
    meet two parts are then found by a few hundred B-tree probes instead of by adding up every
    customer sharing one word."""
    words = request.words
    if request.phones or request.dates or not words:
        return None
    if request.numbers:
        pairs_by_weight: dict[str, float] = {}
        for number in request.numbers:
            for word in words:
                for token, weight in _street_forms(word, near):
                    pairs_by_weight[f"sa:{number}:{token}"] = max(pairs_by_weight.get(f"sa:{number}:{token}", 0.0), weight)
        if not pairs_by_weight:
            return None
        ranked = [t for t, _ in sorted(pairs_by_weight.items(), key=lambda item: (-item[1], item[0]))[:MAX_PAIRS]]
        return CompiledQuery("search.address_pairs", NAME_PAIRS, {"pairs": json.dumps(ranked), "window": request.window})
    if not 2 <= len(words) <= MAX_PAIR_WORDS:
        return None
    forms = [_word_forms(word, near, starts, sounds) for word in words]
    pairs: dict[str, float] = {}
    for i in range(len(words)):
        for j in range(len(words)):
            if i == j:
                continue
            for a, wa in forms[i]:
                for b, wb in forms[j]:
                    term = f"nn:{a}:{b}"
                    pairs[term] = max(pairs.get(term, 0.0), wa * wb)
    ranked = [term for term, _ in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))[:MAX_PAIRS]]
    return CompiledQuery("search.name_pairs", NAME_PAIRS, {"pairs": json.dumps(ranked), "window": request.window})


def compile_candidates_batch(operation: str, terms: Sequence[Terms], window: int) -> CompiledQuery:
    rows = [
        [number, part, term, weight]
        for number, wanted in enumerate(terms) for (part, term), weight in sorted(wanted.items())
    ]
    return CompiledQuery(operation, CANDIDATES_BATCH, {"terms": json.dumps(rows), "window": window})


def compile_documents(person_ids: Sequence[str]) -> CompiledQuery:
    return CompiledQuery("search.documents", DOCUMENTS, {"ids": json.dumps(list(person_ids))})


# ------------------------------------------------------------------ what a request looks up

# Weights only order candidates before the neutral scorer re-ranks them; they favour the
# selective keys (a phone, a birth date, a whole name) over the broad ones (a prefix).
W_PHONE = 6.0
W_DATE = 4.0
W_DATE_VARIANT = 2.0
W_NAME = 3.0
W_NAME_FUZZY = 2.0
W_NICKNAME = 2.0
W_PHONETIC = 1.5
W_NAME_PREFIX = 1.2
W_ADDRESS = 1.0
W_ADDRESS_FUZZY = 0.8
W_ADDRESS_PREFIX = 0.5
W_ZIP = 2.0
W_HOUSE = 1.0


def _add(terms: Terms, part: str, term: str, weight: float) -> None:
    if weight > terms.get((part, term), 0.0):
        terms[(part, term)] = weight


Expansion = dict[str, dict[tuple[str, str], int]]  # typed word -> {(vocabulary word, kind): edits}


def word_terms(terms: Terms, part: str, word: str, near: Expansion, starts: Expansion,
               sounds: dict[str, set[str]], *, scale: float = 1.0) -> None:
    """The terms one typed word looks up: itself, its nicknames and formal names, and the
    vocabulary words that sound like it, are near it (typos) or start with it (prefixes). Street types and
    directions (``st``, ``w``) look up no address words (half the bank has them), but they may
    still be names (``West``)."""
    street_word = canonical_street_word(word)
    _add(terms, part, f"n:{word}", W_NAME * scale)
    _add(terms, part, f"nk:{word}", W_NICKNAME * scale)  # customers filed under it (Bob for robert)
    for formal in formal_names(word):  # the formal names it is a nickname of (robert for bob)
        _add(terms, part, f"n:{formal}", W_NICKNAME * scale)
    for token in sounds.get(word, ()):
        _add(terms, part, f"n:{token}", W_PHONETIC * scale)
    address = not is_stop_word(street_word)
    if address:
        _add(terms, part, f"a:{street_word}", W_ADDRESS * scale)
    for (token, kind), edits in near.get(word, {}).items():
        if kind == NAME or address:
            weight = (W_NAME_FUZZY if kind == NAME else W_ADDRESS_FUZZY) * (1.0 if edits <= 1 else 0.6)
            _add(terms, part, f"{kind}:{token}", weight * scale)
    for token, kind in starts.get(word, {}):
        if kind == NAME or address:
            _add(terms, part, f"{kind}:{token}", (W_NAME_PREFIX if kind == NAME else W_ADDRESS_PREFIX) * scale)


def search_terms(request: SearchRequest, near: Expansion, starts: Expansion, sounds: dict[str, set[str]]) -> Terms:
    terms: Terms = {}
    for number, word in enumerate(request.words):
        word_terms(terms, f"w{number}", word, near, starts, sounds)
    for number, digits in enumerate(request.numbers):
        if len(digits) == 5:
            _add(terms, f"n{number}", f"z:{digits}", W_ZIP)
        _add(terms, f"n{number}", f"h:{digits}", W_HOUSE)
    for phone in request.phones:
        _add(terms, "phone", f"p:{phone}", W_PHONE)
    for number, day in enumerate(request.dates):
        _add(terms, f"d{number}", f"d:{day}", W_DATE)
        for variant in date_variants(day):
            _add(terms, f"d{number}", f"d:{variant}", W_DATE_VARIANT)
    return terms


def match_words(query: MatchQuery) -> list[str]:
    return [*tokens(query.first_name or ""), *tokens(query.last_name or "")]


def match_terms(query: MatchQuery, near: Expansion | None = None, sounds: dict[str, set[str]] | None = None) -> Terms:
    near, sounds = near or {}, sounds or {}
    terms: Terms = {}
    for number, word in enumerate(tokens(query.first_name or "")):
        word_terms(terms, f"f{number}", word, near, {}, sounds, scale=0.7)
    for number, word in enumerate(tokens(query.last_name or "")):
        word_terms(terms, f"l{number}", word, near, {}, sounds)
    for phone in query.phones:
        _add(terms, "phone", f"p:{phone}", W_PHONE)
    if query.date_of_birth:
        _add(terms, "dob", f"d:{query.date_of_birth}", W_DATE)
        for variant in date_variants(query.date_of_birth):
            _add(terms, "dob", f"d:{variant}", W_DATE_VARIANT)
    for address in query.addresses:
        code = zip5(address.zip_code or "")
        if code:
            _add(terms, "zip", f"z:{code}", W_ZIP * 0.75)
        for position, word in enumerate(street_tokens(address.street or "")):
            if word.isdigit():
                if position == 0:
                    _add(terms, "house", f"h:{word}", W_HOUSE)
            elif not is_stop_word(word):
                _add(terms, f"street:{word}", f"a:{word}", W_ADDRESS * 0.5)
    return terms


# ------------------------------------------------------------------ writing

UPSERT_DOCUMENT = """
INSERT INTO search_document (person_id, doc) VALUES (?, ?)
ON CONFLICT (person_id) DO UPDATE SET doc = excluded.doc
RETURNING pid
""".strip()
OLD_DOCUMENT = "SELECT pid, doc FROM search_document WHERE person_id = ?"
DELETE_DOCUMENT = "DELETE FROM search_document WHERE pid = ?"
INSERT_TERM = "INSERT OR IGNORE INTO search_term (term, pid) VALUES (?, ?)"
DELETE_TERM = "DELETE FROM search_term WHERE term = ? AND pid = ?"
USE_WORD = """
INSERT INTO search_vocab (token, kind, uses) VALUES (?, ?, 1)
ON CONFLICT (token, kind) DO UPDATE SET uses = uses + 1
RETURNING uses
""".strip()
INSERT_TRIGRAM = "INSERT INTO search_vocab_trigram (padded, kind) VALUES (?, ?)"
INSERT_DELETION = "INSERT OR IGNORE INTO search_vocab_deletion (deletion, token, kind) VALUES (?, ?, ?)"
INSERT_PHONETIC = "INSERT OR IGNORE INTO search_vocab_phonetic (code, token, kind) VALUES (?, ?, ?)"

# rebuild (the _new generation)
NEW_DOCUMENT = "INSERT INTO search_document_new (pid, person_id, doc) VALUES (?, ?, ?)"
STAGE_TERM = "INSERT INTO temp.search_term_staging (term, pid) VALUES (?, ?)"
COPY_STAGED_TERMS = """
INSERT OR IGNORE INTO search_term_new (term, pid)
SELECT term, pid FROM temp.search_term_staging ORDER BY term, pid
""".strip()
NEW_WORD = "INSERT INTO search_vocab_new (token, kind, uses) VALUES (?, ?, ?)"
NEW_TRIGRAM = "INSERT INTO search_vocab_trigram_new (padded, kind) VALUES (?, ?)"
NEW_DELETION = "INSERT OR IGNORE INTO search_vocab_deletion_new (deletion, token, kind) VALUES (?, ?, ?)"
NEW_PHONETIC = "INSERT OR IGNORE INTO search_vocab_phonetic_new (code, token, kind) VALUES (?, ?, ?)"
SET_META = """
INSERT INTO search_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
""".strip()
