"""Labelled duplicates in the generated bank: the labels tell the truth, and nothing else moves."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from customer360.generator import DEFAULT_START, DUPLICATES_FILE, generate_bank
from customer360.search.normalise import (
    are_nicknames,
    date_variants,
    phone_key,
    street_tokens,
)

PERSONS = 1000
SEED = 99
FILES = ("aml_data_persons.csv", "aml_data_accounts.csv", "aml_data_addresses.csv", "aml_data_phones.csv")


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def banks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    plain = tmp_path_factory.mktemp("plain")
    doubled = tmp_path_factory.mktemp("doubled")
    generate_bank(plain, PERSONS, SEED, progress=False)
    summary = generate_bank(doubled, PERSONS, SEED, progress=False, duplicates=0.03)
    assert summary.duplicates == 30 and summary.persons == PERSONS + 30
    return plain, doubled


def test_without_duplicates_the_label_file_is_empty(banks) -> None:
    plain, _ = banks
    assert (plain / DUPLICATES_FILE).read_text() == "person_id,duplicate_of,kinds\n"


def test_duplicates_add_rows_after_an_unchanged_bank(banks) -> None:
    plain, doubled = banks
    for name in FILES:
        assert (doubled / name).read_text().startswith((plain / name).read_text())
    assert (doubled / "aml_data_transactions.csv").read_bytes() == (plain / "aml_data_transactions.csv").read_bytes()


def test_same_seed_same_duplicates(banks, tmp_path: Path) -> None:
    _, doubled = banks
    generate_bank(tmp_path, PERSONS, SEED, progress=False, duplicates=0.03)
    for name in (*FILES, DUPLICATES_FILE):
        assert (tmp_path / name).read_bytes() == (doubled / name).read_bytes()


def test_every_label_is_true_to_the_data(banks) -> None:
    _, doubled = banks
    persons = {r["person_id"]: r for r in rows(doubled, "aml_data_persons.csv")}
    addresses: dict[str, dict[str, str]] = {}
    phones: dict[str, dict[str, str]] = {}
    for row in rows(doubled, "aml_data_addresses.csv"):
        addresses.setdefault(row["person_id"], row)  # a duplicate copies its original's first address
    for row in rows(doubled, "aml_data_phones.csv"):
        phones.setdefault(row["person_id"], row)
    labels = rows(doubled, DUPLICATES_FILE)
    kinds = Counter()
    assert [r["person_id"] for r in labels] == [f"P{n:07d}" for n in range(PERSONS + 1, PERSONS + 31)]
    assert len({r["duplicate_of"] for r in labels}) == 30
    for label in labels:
        copy, original = persons[label["person_id"]], persons[label["duplicate_of"]]
        assert int(original["person_id"][1:]) <= PERSONS
        said = set(label["kinds"].split(";"))
        kinds.update(said)
        assert said and said <= {"typo", "nickname", "transposed_date", "phone_format", "street_abbreviation"}
        assert copy["ssn"] == original["ssn"]
        names_differ = (copy["first_name"], copy["last_name"]) != (original["first_name"], original["last_name"])
        assert names_differ == bool(said & {"typo", "nickname"})
        if "nickname" in said:
            assert are_nicknames(copy["first_name"].lower(), original["first_name"].lower())
        if "transposed_date" in said:
            assert copy["date_of_birth"] in date_variants(original["date_of_birth"])
        else:
            assert copy["date_of_birth"] == original["date_of_birth"]
        phone, first_phone = phones[copy["person_id"]]["phone_number"], phones[original["person_id"]]["phone_number"]
        assert phone_key(phone) == phone_key(first_phone) and (phone != first_phone) == ("phone_format" in said)
        street, first_street = addresses[copy["person_id"]]["street"], addresses[original["person_id"]]["street"]
        assert street_tokens(street) == street_tokens(first_street) and (street != first_street) == ("street_abbreviation" in said)
    assert set(kinds) == {"typo", "nickname", "transposed_date", "phone_format", "street_abbreviation"}


def test_duplicates_keep_the_generator_guarantees(banks) -> None:
    _, doubled = banks
    persons = rows(doubled, "aml_data_persons.csv")
    accounts = rows(doubled, "aml_data_accounts.csv")
    ids = {r["person_id"] for r in persons}
    assert [r["person_id"] for r in persons] == [f"P{n:07d}" for n in range(1, PERSONS + 31)]
    assert [r["account_id"] for r in accounts] == [f"ACC{n:08d}" for n in range(1, len(accounts) + 1)]
    assert {r["owner_person_id"] for r in accounts} == ids
    assert {r["person_id"] for r in rows(doubled, "aml_data_addresses.csv")} == ids
    assert {r["person_id"] for r in rows(doubled, "aml_data_phones.csv")} == ids
    assert len({r["address_id"] for r in rows(doubled, "aml_data_addresses.csv")}) > 0
    start = DEFAULT_START.date()
    for row in persons:
        born = date.fromisoformat(row["date_of_birth"])
        age = start.year - born.year - ((start.month, start.day) < (born.month, born.day))
        assert 18 <= age <= 90, row


@pytest.mark.parametrize("ratio", [-0.1, 0.9, True])
def test_a_bad_ratio_is_refused(tmp_path: Path, ratio) -> None:
    with pytest.raises(ValueError, match="duplicates"):
        generate_bank(tmp_path, 10, 1, progress=False, duplicates=ratio)
