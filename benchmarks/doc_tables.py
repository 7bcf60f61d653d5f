"""Benchmark figures go into the docs by the script that measured them, never by hand.

Each benchmark owns one block of one page, between ``<!-- NAME:begin -->`` and
``<!-- NAME:end -->``; running it again replaces that block and nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def write_block(page: str, name: str, text: str) -> None:
    """Replace the block ``name`` of ``docs/<page>`` with ``text``."""
    path = DOCS / page
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    doc = path.read_text(encoding="utf-8")
    if doc.count(begin) != 1 or doc.count(end) != 1 or doc.index(begin) > doc.index(end):
        raise SystemExit(f"{path}: expected one {begin} followed by one {end}")
    head, rest = doc.split(begin)
    _, tail = rest.split(end)
    path.write_text(f"{head}{begin}\n{text.strip()}\n{end}{tail}", encoding="utf-8")
    print(f"wrote the {name} figures into docs/{page}", file=sys.stderr)
