"""The synthetic bank generator, checked the way a user of its CSV files would notice problems."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from customer360.generator import (
    ACCOUNTS_FILE,
    ADDRESSES_FILE,
    DEFAULT_START,
    HEADERS,
    PERSONS_FILE,
    PHONES_FILE,
    TRANSACTIONS_FILE,
    GenerationSummary,
    generate_bank,
)
from customer360.model import AccountStatus, AccountType, PhoneType

ALL_FILES = (PERSONS_FILE, ACCOUNTS_FILE, ADDRESSES_FILE, PHONES_FILE, TRANSACTIONS_FILE)
PERSONS = 2000
SEED = 20250101


def read_rows(directory: Path, name: str) -> list[dict[str, str]]:
    with open(directory / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class Bank:
    """One generated bank, read back with plain csv."""

    def __init__(self, directory: Path, summary: GenerationSummary) -> None:
        self.directory = directory
        self.summary = summary
        self.persons = read_rows(directory, PERSONS_FILE)
        self.accounts = read_rows(directory, ACCOUNTS_FILE)
        self.addresses = read_rows(directory, ADDRESSES_FILE)
        self.phones = read_rows(directory, PHONES_FILE)
        self.transactions = read_rows(directory, TRANSACTIONS_FILE)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    directory = tmp_path_factory.mktemp("bank")
    summary = generate_bank(directory, PERSONS, SEED, progress=False)
    bank = Bank(directory, summary)
    assert bank.transactions, "the fixture bank has no transactions: every per-transaction check would pass vacuously"
    return bank


def file_bytes(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in ALL_FILES}


# -- determinism -------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generate_bank(tmp_path / "a", 300, 7, progress=False)
    generate_bank(tmp_path / "b", 300, 7, progress=False)
    assert file_bytes(tmp_path / "a") == file_bytes(tmp_path / "b")


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate_bank(tmp_path / "a", 300, 7, progress=False)
    generate_bank(tmp_path / "b", 300, 8, progress=False)
    first, second = file_bytes(tmp_path / "a"), file_bytes(tmp_path / "b")
    assert all(first[name] != second[name] for name in ALL_FILES)


# -- files, headers, ids -------------------------------------------------------------------


def test_each_file_starts_with_the_exact_header_and_uses_newline_endings(bank: Bank) -> None:
    expected = {
        PERSONS_FILE: "person_id,first_name,last_name,date_of_birth,ssn,email",
        ACCOUNTS_FILE: "account_id,owner_person_id,account_type,balance,account_status,opened_date",
        ADDRESSES_FILE: "address_id,person_id,street,city,state,zip_code",
        PHONES_FILE: "phone_id,person_id,phone_number,phone_type",
        TRANSACTIONS_FILE: "transaction_id,from_account_id,to_account_id,amount,timestamp",
    }
    for name, header in expected.items():
        raw = (bank.directory / name).read_bytes()
        assert raw.split(b"\n", 1)[0].decode() == header
        assert ",".join(HEADERS[name]) == header
        assert b"\r" not in raw


def test_summary_counts_match_the_rows_written(bank: Bank) -> None:
    summary = bank.summary
    assert summary.out_dir == bank.directory
    assert summary.persons == len(bank.persons) == PERSONS
    assert summary.accounts == len(bank.accounts)
    assert summary.addresses == len(bank.addresses)
    assert summary.phones == len(bank.phones)
    assert summary.transactions == len(bank.transactions)
    assert {path.name: rows for path, rows in summary.files.items()} == {
        PERSONS_FILE: summary.persons,
        ACCOUNTS_FILE: summary.accounts,
        ADDRESSES_FILE: summary.addresses,
        PHONES_FILE: summary.phones,
        TRANSACTIONS_FILE: summary.transactions,
    }
    assert not list(bank.directory.glob("*.partial"))


def test_ids_have_their_documented_formats_and_are_contiguous(bank: Bank) -> None:
    assert [row["person_id"] for row in bank.persons] == [f"P{n:07d}" for n in range(1, PERSONS + 1)]
    assert [row["account_id"] for row in bank.accounts] == [
        f"ACC{n:08d}" for n in range(1, len(bank.accounts) + 1)
    ]
    assert [row["transaction_id"] for row in bank.transactions] == [
        f"TX{n:010d}" for n in range(1, len(bank.transactions) + 1)
    ]
    assert all(re.fullmatch(r"ADR\d{8}", row["address_id"]) for row in bank.addresses)
    assert all(re.fullmatch(r"PH\d{8}", row["phone_id"]) for row in bank.phones)


def test_persons_have_adult_ages_valid_looking_ssns_and_emails(bank: Bank) -> None:
    start = DEFAULT_START.date()
    for row in bank.persons:
        born = date.fromisoformat(row["date_of_birth"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date_of_birth"])
        age = start.year - born.year - ((start.month, start.day) < (born.month, born.day))
        assert 18 <= age <= 90, row
        area, group, serial = row["ssn"].split("-")
        assert re.fullmatch(r"\d{3}-\d{2}-\d{4}", row["ssn"])
        assert area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"
        assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.-]+\.[a-z]+", row["email"]), row
        assert row["first_name"] and row["last_name"]


def test_accounts_have_valid_lower_case_types_and_plausible_signed_balances(bank: Bank) -> None:
    types = {member.value for member in AccountType}
    statuses = {member.value for member in AccountStatus}
    owned = Counter(row["owner_person_id"] for row in bank.accounts)
    for row in bank.accounts:
        assert row["account_type"] in types
        assert row["account_status"] in statuses
        assert re.fullmatch(r"-?\d+\.\d{2}", row["balance"]), row
        balance = Decimal(row["balance"])
        if row["account_type"] in ("credit_card", "loan"):
            assert balance <= 0, row
        else:
            assert balance >= 0, row
        assert date.fromisoformat(row["opened_date"]) <= DEFAULT_START.date()
    assert set(owned.values()) <= {1, 2, 3, 4, 5}
    assert Counter(row["account_type"] for row in bank.accounts).most_common(1)[0][0] == "checking"
    assert Counter(row["account_status"] for row in bank.accounts).most_common(1)[0][0] == "active"
    assert {row["account_status"] for row in bank.accounts} == statuses


def test_addresses_and_phones_are_well_formed(bank: Bank) -> None:
    for row in bank.addresses:
        assert re.fullmatch(r"[A-Z]{2}", row["state"]), row
        assert re.fullmatch(r"\d{5}", row["zip_code"]), row
        assert row["street"] and row["city"]
    assert any(row["zip_code"].startswith("0") for row in bank.addresses)  # leading zeros kept
    phone_types = {member.value for member in PhoneType}
    assert {row["phone_type"] for row in bank.phones} == phone_types
    numbers = [row["phone_number"] for row in bank.phones]
    assert all(re.fullmatch(r"[0-9+().x -]+", number) for number in numbers)
    # Mixed spellings as in the seed data.
    assert any(re.fullmatch(r"\+1-\d{3}-\d{3}-\d{4}", n) for n in numbers)
    assert any(re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}", n) for n in numbers)
    assert any(re.fullmatch(r"\d{3}\.\d{3}\.\d{4}", n) for n in numbers)
    assert any(re.fullmatch(r"\d{10}", n) for n in numbers)
    assert any(re.fullmatch(r"001-\d{3}-\d{3}-\d{4}x\d+", n) for n in numbers)


# -- foreign keys ------------------------------------------------------------------------


def test_every_reference_points_at_an_existing_row(bank: Bank) -> None:
    person_ids = {row["person_id"] for row in bank.persons}
    account_ids = {row["account_id"] for row in bank.accounts}
    assert {row["owner_person_id"] for row in bank.accounts} == person_ids  # everyone has an account
    assert {row["person_id"] for row in bank.addresses} == person_ids
    assert {row["person_id"] for row in bank.phones} == person_ids
    for row in bank.transactions:
        assert row["from_account_id"] in account_ids
        assert row["to_account_id"] in account_ids
        assert row["from_account_id"] != row["to_account_id"]


def test_every_person_has_one_or_two_addresses_and_phones(bank: Bank) -> None:
    addresses = Counter(row["person_id"] for row in bank.addresses)
    phones = Counter(row["person_id"] for row in bank.phones)
    assert set(addresses.values()) == {1, 2}
    assert set(phones.values()) == {1, 2}


# -- relationships -----------------------------------------------------------------------


def test_households_share_an_address_row_with_identical_fields(bank: Bank) -> None:
    by_address: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in bank.addresses:
        by_address[row["address_id"]].append(row)
    shared = {key: rows for key, rows in by_address.items() if len(rows) >= 2}
    assert shared
    for rows in shared.values():
        assert len({(r["street"], r["city"], r["state"], r["zip_code"]) for r in rows}) == 1
        assert 2 <= len({r["person_id"] for r in rows}) <= 5
    sharing = {r["person_id"] for rows in shared.values() for r in rows}
    assert 0.2 <= len(sharing) / PERSONS <= 0.4  # about 30% of persons live with others

    last_name = {row["person_id"]: row["last_name"] for row in bank.persons}
    families = sum(
        1 for rows in shared.values() if Counter(last_name[r["person_id"]] for r in rows).most_common(1)[0][1] >= 2
    )
    assert families / len(shared) > 0.6  # mostly families with one surname


def test_some_phones_are_shared_including_mobiles_across_households(bank: Bank) -> None:
    by_phone: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in bank.phones:
        by_phone[row["phone_id"]].append(row)
    shared = {key: rows for key, rows in by_phone.items() if len({r["person_id"] for r in rows}) >= 2}
    assert 0.01 <= len(shared) / len(by_phone) <= 0.06
    for rows in shared.values():
        assert len({r["phone_number"] for r in rows}) == 1
        assert len(rows) <= 5
    homes = {row["person_id"]: row["address_id"] for row in bank.addresses}
    suspicious = [
        rows
        for rows in shared.values()
        if rows[0]["phone_type"] == "mobile" and len({homes[r["person_id"]] for r in rows}) == len(rows)
    ]
    assert suspicious, "expected a mobile shared by persons who do not live together"


def test_hub_accounts_receive_from_hundreds_of_distinct_senders(bank: Bank) -> None:
    senders: dict[str, set[str]] = defaultdict(set)
    for row in bank.transactions:
        senders[row["to_account_id"]].add(row["from_account_id"])
    ranked = sorted((len(accounts) for accounts in senders.values()), reverse=True)
    assert ranked[0] >= 200
    assert ranked[0] > 20 * ranked[len(ranked) // 2]


def test_transactions_contain_a_ring_of_similar_repeated_amounts(bank: Bank) -> None:
    # A ring is a directed cycle of 3-6 accounts whose every hop was used several times with
    # similar, sizeable amounts. Random traffic has cycles too, but not of that kind.
    amounts: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for row in bank.transactions:
        amounts[(row["from_account_id"], row["to_account_id"])].append(Decimal(row["amount"]))
    strong = {
        edge: sorted(values)[len(values) // 2]
        for edge, values in amounts.items()
        if len(values) >= 3 and min(values) >= 1000
    }
    successors: dict[str, list[str]] = defaultdict(list)
    for source, target in strong:
        successors[source].append(target)

    def cycles_from(origin: str) -> list[list[str]]:
        found, stack = [], [(origin, [origin])]
        while stack:
            node, path = stack.pop()
            for nxt in successors[node]:
                if nxt == origin and len(path) >= 3:
                    found.append(path)
                elif nxt not in path and len(path) < 6:
                    stack.append((nxt, path + [nxt]))
        return found

    rings = []
    for origin in list(successors):
        for path in cycles_from(origin):
            medians = [strong[(path[i], path[(i + 1) % len(path)])] for i in range(len(path))]
            if max(medians) / min(medians) < Decimal("1.2"):
                rings.append(path)
    assert rings


def test_amounts_are_positive_with_two_decimals_and_skewed(bank: Bank) -> None:
    values = []
    for row in bank.transactions:
        assert re.fullmatch(r"\d+\.\d{2}", row["amount"]), row
        value = Decimal(row["amount"])
        assert value > 0
        values.append(value)
    values.sort()
    median = values[len(values) // 2]
    assert median < sum(values) / len(values)  # long right tail: mean above median
    assert values[-1] > 50_000


def test_timestamps_fall_in_the_period_and_favour_weekdays(bank: Bank) -> None:
    start = int(DEFAULT_START.timestamp())
    end = start + 365 * 86400
    weekdays = Counter()
    for row in bank.transactions:
        stamp = int(row["timestamp"])
        assert start <= stamp < end
        weekdays[datetime.fromtimestamp(stamp, timezone.utc).weekday()] += 1
    assert weekdays[2] > 1.5 * weekdays[6]  # Wednesday busier than Sunday


def test_start_and_days_bound_the_timestamps(tmp_path: Path) -> None:
    start = datetime(2024, 3, 1, 12, 30)  # naive: taken as UTC
    generate_bank(tmp_path, 200, 3, progress=False, start=start, days=30)
    begin = int(start.replace(tzinfo=timezone.utc).timestamp())
    stamps = [int(row["timestamp"]) for row in read_rows(tmp_path, TRANSACTIONS_FILE)]
    assert stamps
    assert all(begin <= stamp < begin + 30 * 86400 for stamp in stamps)


# -- business rules are reachable ---------------------------------------------------------


def test_customers_span_every_segment(bank: Bank) -> None:
    owner = {row["account_id"]: row["owner_person_id"] for row in bank.accounts}
    balance: Counter[str] = Counter()
    for row in bank.accounts:
        balance[row["owner_person_id"]] += Decimal(row["balance"])
    sent: Counter[str] = Counter(owner[row["from_account_id"]] for row in bank.transactions)
    people = [row["person_id"] for row in bank.persons]
    premium = [p for p in people if balance[p] > 100_000 and sent[p] > 50]
    bronze = [p for p in people if balance[p] <= 10_000 and sent[p] <= 10]
    gold = [p for p in people if not (balance[p] > 100_000 and sent[p] > 50) and (balance[p] > 50_000 or sent[p] > 30)]
    silver = [
        p
        for p in people
        if balance[p] <= 50_000 and sent[p] <= 30 and (balance[p] > 10_000 or sent[p] > 10)
    ]
    assert premium and gold and silver and bronze
    assert len(bronze) > len(premium)  # the top segment is the rare one


# -- arguments and progress ----------------------------------------------------------------


@pytest.mark.parametrize("persons", [0, -5])
def test_fewer_than_one_person_is_refused_before_writing_anything(tmp_path: Path, persons: int) -> None:
    with pytest.raises(ValueError, match="persons"):
        generate_bank(tmp_path / "out", persons, 1, progress=False)
    assert not (tmp_path / "out").exists()


def test_a_single_person_bank_is_still_consistent(tmp_path: Path) -> None:
    summary = generate_bank(tmp_path, 1, 4, progress=False)  # seed 4: one person with several accounts
    assert summary.persons == 1
    accounts = {row["account_id"] for row in read_rows(tmp_path, ACCOUNTS_FILE)}
    transactions = read_rows(tmp_path, TRANSACTIONS_FILE)
    assert len(accounts) > 1 and transactions  # money moves between the person's own accounts
    for row in transactions:
        assert row["from_account_id"] in accounts and row["to_account_id"] in accounts


def test_progress_goes_to_stderr_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate_bank(tmp_path, 50, 1, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "customers" in captured.err and "transactions" in captured.err
    generate_bank(tmp_path, 50, 1, progress=False)
    assert capsys.readouterr().err == ""
