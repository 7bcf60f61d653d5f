"""``schema.graphql`` is the served API, checked in: every API change shows in review.

When a test here fails after a deliberate change, regenerate the file with
``strawberry export-schema customer360.schema:schema --output schema.graphql``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from customer360.schema import schema
from customer360.schema.enums import ALL_MAPS

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"
REGENERATE = "strawberry export-schema customer360.schema:schema --output schema.graphql"


def test_the_checked_in_sdl_is_the_schema_the_code_builds() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8").strip() == schema.as_str().strip(), (
        f"schema.graphql differs from the code; if the change is meant, run: {REGENERATE}"
    )


def test_strawberry_export_schema_finds_the_schema_object(tmp_path: Path) -> None:
    out = tmp_path / "exported.graphql"
    strawberry = Path(sys.executable).with_name("strawberry")
    subprocess.run([str(strawberry), "export-schema", "customer360.schema:schema", "--output", str(out)], check=True,
                   capture_output=True, cwd=SCHEMA_FILE.parent)
    assert out.read_text(encoding="utf-8").strip() == SCHEMA_FILE.read_text(encoding="utf-8").strip()


def test_every_public_enum_maps_one_to_one_to_its_internal_enum() -> None:
    """Renaming a plan or model member must fail here, not silently rename an API value."""
    incomplete = [f"{m.inner.__name__} <-> {m.public.__name__}" for m in ALL_MAPS if not m.is_complete()]
    assert incomplete == []
    for mapping in ALL_MAPS:
        assert {mapping.to_inner(mapping.to_public(member)) for member in mapping.inner} == set(mapping.inner)
