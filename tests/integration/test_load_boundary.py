"""`c360 load` as a boundary: it reads regular files only, never prints what a file holds, and
lists at most 1,000 problems (then a count), so a huge bad file cannot flood the output or the
memory. Run as a user runs it, through the command line, on the real embedded SQLite store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from customer360.ingest.seed_files import PERSONS_FILE, TRANSACTIONS_FILE, LineSet
from tests.integration.test_cli import c360
from tests.tiny_bank import GOOD, write_bank

SECRET = "root:x:0:0:do-not-print-me:/root:/bin/bash"


def load(bank: Path, tmp_path: Path, *flags: str):
    return c360("load", str(bank), "--graph", f"sqlite:///{tmp_path / 'g.db'}", "--quiet", *flags)


@pytest.mark.parametrize("target", ["/dev/zero", "secret"])
def test_a_symbolic_link_is_refused_without_being_followed(tmp_path: Path, target: str) -> None:
    bank = write_bank(tmp_path / "bank")
    (bank / PERSONS_FILE).unlink()
    if target == "secret":
        secret = tmp_path / "passwd"
        secret.write_text(SECRET + "\n")
        target = str(secret)
    (bank / PERSONS_FILE).symlink_to(target)
    refused = load(bank, tmp_path)
    assert refused.returncode == 1  # a link to /dev/zero used to pass for a missing file: exit 0
    assert f"{PERSONS_FILE}: is a symbolic link; seed files must be regular files" in refused.stderr
    assert "nothing was written" in refused.stderr
    assert SECRET not in refused.stderr + refused.stdout


def test_a_file_that_is_no_seed_file_is_not_echoed(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", persons=SECRET + "\nmore,secret,lines\n")
    refused = load(bank, tmp_path)
    assert refused.returncode == 1
    assert f"{PERSONS_FILE}, row 1: the first row is not a header naming the required columns" in refused.stderr
    output = refused.stderr + refused.stdout
    assert "do-not-print-me" not in output and "root:x" not in output and "secret,lines" not in output


@pytest.mark.parametrize(("make", "kind"), [("fifo", "a named pipe"), ("dir", "a directory")])
def test_pipes_and_folders_under_a_seed_files_name_are_refused(tmp_path: Path, make: str, kind: str) -> None:
    bank = write_bank(tmp_path / "bank")
    (bank / TRANSACTIONS_FILE).unlink()
    if make == "fifo":
        os.mkfifo(bank / TRANSACTIONS_FILE)  # reading it would wait for a writer for ever
    else:
        (bank / TRANSACTIONS_FILE).mkdir()
    refused = load(bank, tmp_path)
    assert refused.returncode == 1
    assert f"{TRANSACTIONS_FILE}: is {kind}; seed files must be regular files" in refused.stderr


def bad_transactions(count: int) -> str:
    """``count`` rows with two problems each (an amount and a timestamp that are not)."""
    rows = "".join(f"TX{n},A1,A2,oops,whenever\n" for n in range(count))
    return GOOD[TRANSACTIONS_FILE] + rows


def test_problems_are_listed_up_to_1000_then_counted(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", transactions=bad_transactions(800))  # 1,600 problems
    refused = load(bank, tmp_path)
    assert refused.returncode == 1
    assert "load refused, nothing was written: 1,600 problems in the input" in refused.stderr
    listed = [line for line in refused.stderr.splitlines() if line.startswith(f"  {TRANSACTIONS_FILE}, row ")]
    assert len(listed) == 1000
    assert "  ... and 600 more (1,600 in all)" in refused.stderr
    assert "oops" not in refused.stderr and "whenever" not in refused.stderr


def test_skip_invalid_lists_up_to_1000_problems_then_counts_the_rest(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", transactions=bad_transactions(800))
    loaded = load(bank, tmp_path, "--skip-invalid")
    assert loaded.returncode == 0
    assert "3 transactions" in loaded.stdout and "skipped 800 invalid rows (1,600 problems)" in loaded.stdout
    skipped = [line for line in loaded.stderr.splitlines() if line.startswith("  skipped: ")]
    assert len(skipped) == 1000
    assert "  ... and 600 more problems in skipped rows" in loaded.stderr


def test_a_line_set_holds_rows_in_bits() -> None:
    lines = LineSet()
    for line in (2, 3, 700_000, 3):
        lines.add(line)
    assert len(lines) == 3
    assert 700_000 in lines and 2 in lines and 4 not in lines and -1 not in lines and 10**9 not in lines
