"""The embedded index's tables (one SQLite file, WAL), and how a rebuild swaps them.

* ``search_document``: one row per customer, the :class:`PersonDocument` as JSON; ``pid`` is
  a small integer so the term postings stay compact.
* ``search_term``: the inverted index, ``(term, pid)``. A term is a kind prefix and a
  normalised key: ``n:smith`` (a name word), ``nk:robert`` (a formal name this first name is
  a nickname of: ``Bob`` is filed under it), ``a:main`` (street or city word), ``h:123``
  (house number), ``z:10001``, ``p:12125550100``, ``d:1985-03-07``. A lookup is one B-tree
  probe per term.
* ``search_vocab``: every distinct name and address word with how many customers use it, for
  prefixes (search-as-you-type: a range scan) and as the source of fuzzy and phonetic
  candidates:
* ``search_vocab_phonetic``: each word under its Metaphone code, so a sound-alike spelling
  finds the *words* that sound like it (then their customers through ``n:`` terms): no
  per-customer phonetic postings, which would repeat the name postings.
* ``search_vocab_trigram``: FTS5 with the trigram tokenizer over the words padded as
  ``^word$``, so a misspelt word finds the words sharing most trigrams with it (including its
  first and last letters); ``rapidfuzz`` then keeps those within the allowed edit distance.
* ``search_vocab_deletion``: every word with one letter deleted (the SymSpell idea): a
  3-letter word with a typo in the middle shares no trigram with the right word, but always
  shares a one-deletion key with it.

Fuzzy matching thus works on the vocabulary (thousands of words), never on every customer,
and expands to customers through exact term lookups: that keeps a search a few milliseconds
at 100,000 customers.

A rebuild writes ``<table>_new`` tables beside the live ones, then renames them over the
live ones in one transaction: searches read the old tables until the commit and the new ones
right after it (WAL readers never wait for the writer). Table names are fixed here, never
made from input.
"""

from __future__ import annotations

LIVE_TABLES = (
    "search_document", "search_term", "search_vocab", "search_vocab_trigram", "search_vocab_deletion",
    "search_vocab_phonetic",
)


def create_tables(suffix: str = "") -> str:
    """DDL for one generation of tables; ``suffix`` is ``""`` (live) or ``"_new"`` (a rebuild)."""
    if suffix not in ("", "_new"):
        raise ValueError(f"unexpected table suffix {suffix!r}")
    s = suffix
    return f"""
CREATE TABLE IF NOT EXISTS search_document{s} (
    pid INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS search_term{s} (
    term TEXT NOT NULL,
    pid INTEGER NOT NULL,
    PRIMARY KEY (term, pid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS search_vocab{s} (
    token TEXT NOT NULL,
    kind TEXT NOT NULL,
    uses INTEGER NOT NULL,
    PRIMARY KEY (token, kind)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS search_vocab_trigram{s} USING fts5(padded, kind UNINDEXED, tokenize = 'trigram');
CREATE TABLE IF NOT EXISTS search_vocab_deletion{s} (
    deletion TEXT NOT NULL,
    token TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (deletion, token, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS search_vocab_phonetic{s} (
    code TEXT NOT NULL,
    token TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (code, token, kind)
) WITHOUT ROWID;
"""


META = """
CREATE TABLE IF NOT EXISTS search_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

DROP_NEW = "".join(f"DROP TABLE IF EXISTS {table}_new;\n" for table in LIVE_TABLES)

SWAP = (
    "".join(f"DROP TABLE IF EXISTS {table};\n" for table in LIVE_TABLES)
    + "".join(f"ALTER TABLE {table}_new RENAME TO {table};\n" for table in LIVE_TABLES)
)
"""Replace the live tables by the ``_new`` ones (run inside one transaction)."""

# The rebuild collects postings in a heap table first and copies them sorted into the
# WITHOUT ROWID B-tree once, which is several times faster than random-order inserts.
STAGING = """
DROP TABLE IF EXISTS temp.search_term_staging;
CREATE TEMP TABLE search_term_staging (term TEXT NOT NULL, pid INTEGER NOT NULL);
"""
