"""Rows of the embedded index -> vocabulary expansions and documents.

The trigram and deletion lookups are generous on purpose; here ``rapidfuzz`` keeps only the
vocabulary words within the edit distance a word allows (OSA distance: a transposition of
two adjacent letters is one typo, as people make them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from rapidfuzz.distance import OSA

from customer360.search.documents import PersonDocument
from customer360.search.normalise import max_edits, phonetic

Expansion = dict[str, dict[tuple[str, str], int]]  # typed word -> {(vocabulary word, kind): edits}


def decode_expansion(rows: Iterable[Sequence], words: Sequence[str]) -> tuple[Expansion, Expansion, dict[str, set[str]]]:
    """``(near, starts, sounds)``: per typed word, the vocabulary words within its allowed
    typos; per typed prefix, the vocabulary words it starts; per typed word, the name words
    with its Metaphone code."""
    near: Expansion = defaultdict(dict)
    starts: Expansion = defaultdict(dict)
    sounds: dict[str, set[str]] = defaultdict(set)
    by_code: dict[str, list[str]] = defaultdict(list)
    for word in words:
        if len(word) >= 3 and phonetic(word):
            by_code[phonetic(word)].append(word)
    fuzzy: set[tuple[str, str]] = set()
    for source, key, token, kind in rows:
        if source == "phonetic":
            for word in by_code.get(key, ()):
                if token != word:
                    sounds[word].add(token)
        elif source == "prefix":
            starts[key][(token, kind)] = 0
        elif source == "trigram":
            fuzzy.add((token[1:-1], kind))
        else:
            fuzzy.add((token, kind))
    for word in words:
        allowed = max_edits(word)
        if not allowed:
            continue
        for token, kind in fuzzy:
            if token != word and abs(len(token) - len(word)) <= allowed:
                distance = OSA.distance(word, token, score_cutoff=allowed)
                if distance <= allowed:
                    near[word][(token, kind)] = distance
    return near, starts, sounds


def decode_documents(rows: Iterable[Sequence]) -> list[PersonDocument]:
    return [PersonDocument.from_json(row[1]) for row in rows]


def decode_batch(rows: Iterable[Sequence], queries: int) -> list[list[PersonDocument]]:
    found: list[list[PersonDocument]] = [[] for _ in range(queries)]
    for query, _person_id, doc, _score in rows:
        found[int(query)].append(PersonDocument.from_json(doc))
    return found
