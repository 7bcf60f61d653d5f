"""The `c360` commands as a user runs them: exit codes and what they print."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path


def c360(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "customer360.cli", *args], capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_generate_then_load_twice(tmp_path: Path):
    out = tmp_path / "bank"
    generated = c360("generate", "--persons", "50", "--seed", "3", "--out", str(out), "--quiet")
    assert generated.returncode == 0, generated.stderr
    assert "aml_data_persons.csv: 50 rows" in generated.stdout
    graph = f"sqlite:///{tmp_path / 'g.db'}"
    first = c360("load", str(out), "--graph", graph)
    assert first.returncode == 0, first.stderr
    assert "loaded 50 persons" in first.stdout
    assert "loading" in first.stderr  # progress bars go to stderr
    second = c360("load", str(out), "--graph", graph, "--quiet")
    assert second.returncode == 0 and "loaded 50 persons" in second.stdout


def test_a_bad_cell_refuses_the_load_naming_file_row_and_column(tmp_path: Path):
    out = tmp_path / "bank"
    assert c360("generate", "--persons", "20", "--seed", "4", "--out", str(out), "--quiet").returncode == 0
    accounts = out / "aml_data_accounts.csv"
    rows = list(csv.reader(accounts.open()))
    rows[5][rows[0].index("balance")] = "12,50x"
    with accounts.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    graph = f"sqlite:///{tmp_path / 'g.db'}"
    refused = c360("load", str(out), "--graph", graph, "--quiet")
    assert refused.returncode == 1
    assert "aml_data_accounts.csv, row 6, column balance: is not a decimal amount" in refused.stderr
    assert "12,50x" not in refused.stderr  # values are found by file, row and column, never echoed
    assert "nothing was written" in refused.stderr
    skipped = c360("load", str(out), "--graph", graph, "--quiet", "--skip-invalid")
    assert skipped.returncode == 0
    assert "skipped: aml_data_accounts.csv, row 6, column balance" in skipped.stderr


def test_bad_arguments_and_settings_are_explained(tmp_path: Path):
    zero = c360("generate", "--persons", "0", "--out", str(tmp_path / "x"))
    assert zero.returncode == 2 and "persons must be a whole number of at least 1" in zero.stderr
    bad_graph = c360("load", str(tmp_path), env={"C360_GRAPH": "postgres://db"})
    assert bad_graph.returncode == 2
    assert "expected sqlite:///path/to/file.db or gremlin://host:port/g" in bad_graph.stderr
    no_connections = c360("load", str(tmp_path), env={"C360_GREMLIN_CONNECTIONS": "0"})
    assert no_connections.returncode == 2
    assert "C360_GREMLIN_CONNECTIONS='0': expected a whole number of at least 1" in no_connections.stderr
