"""The search commands as a user runs them: load indexes, reindex swaps, query prints hits."""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
from pathlib import Path


def c360(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "customer360.cli", *args], capture_output=True, text=True, timeout=300,
        cwd=cwd, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **(env or {})},
    )


def test_load_indexes_the_bank_and_query_finds_a_misspelt_customer(tmp_path: Path) -> None:
    env = {"C360_GRAPH": f"sqlite:///{tmp_path / 'data' / 'graph.db'}"}
    env.pop("C360_SEARCH", None)
    generated = c360("generate", "--persons", "200", "--seed", "8", "--out", "bank", "--duplicates", "0.05", "--quiet",
                     cwd=tmp_path, env=env)
    assert generated.returncode == 0, generated.stderr
    assert "duplicates.csv: 10 labelled duplicates" in generated.stdout
    loaded = c360("load", "bank", "--quiet", cwd=tmp_path, env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert f"210 customers indexed in sqlite:///{tmp_path / 'data' / 'search.db'}" in loaded.stdout  # beside the graph
    # the index holds names, addresses and phones: readable by its owner only, like the graph
    for name in ("search.db", "graph.db"):
        assert stat.S_IMODE((tmp_path / "data" / name).stat().st_mode) == 0o600, name

    with open(tmp_path / "bank" / "aml_data_persons.csv", newline="") as handle:
        person = next(csv.DictReader(handle))
    typo = person["last_name"][:-1] + ("x" if person["last_name"][-1] != "x" else "y")
    found = c360("search", "query", f"{person['first_name']} {typo}", "--first", "3", cwd=tmp_path, env=env)
    assert found.returncode == 0, found.stderr
    top = found.stdout.splitlines()[0]
    assert person["person_id"] in top and "last_name fuzzy" in top

    again = c360("search", "reindex", "--quiet", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "210 customers indexed" in again.stdout and "swapped in atomically" in again.stdout


def test_a_search_backend_that_is_down_does_not_undo_the_graph_load(tmp_path: Path) -> None:
    env = {"C360_GRAPH": f"sqlite:///{tmp_path / 'graph.db'}", "C360_SEARCH": "opensearch://127.0.0.1:1/c360-test-down"}
    assert c360("generate", "--persons", "20", "--seed", "2", "--out", "bank", "--quiet", cwd=tmp_path, env=env).returncode == 0
    loaded = c360("load", "bank", "--quiet", cwd=tmp_path, env=env)
    assert loaded.returncode == 1
    assert "loaded 20 persons" in loaded.stdout
    assert "the graph load succeeded, but the search index was not updated" in loaded.stderr
    assert "c360 search reindex" in loaded.stderr
    bad = c360("search", "query", "Smith", cwd=tmp_path, env={**env, "C360_SEARCH": "elastic://x"})
    assert bad.returncode == 2 and "expected sqlite:///path/to/search.db or opensearch://host:port/index" in bad.stderr
