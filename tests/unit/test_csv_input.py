"""Reading and validating the seed CSV files: every problem names its file, row, column and reason.

Each test writes a tiny hand-made bank into ``tmp_path``, spoils one cell, and checks the
message a user would read. Row numbers are the line numbers an editor shows (header = 1).
Loads that need a store (links to ids in no file) are in ``tests/integration/test_load_links.py``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from customer360.graphstore.plan import VertexLabel
from customer360.ingest.accepted_rows import SeedReader
from customer360.ingest.seed_files import (
    ACCOUNTS,
    ACCOUNTS_FILE,
    ADDRESSES,
    ADDRESSES_FILE,
    PERSONS,
    PERSONS_FILE,
    PHONES,
    PHONES_FILE,
    TRANSACTIONS,
    TRANSACTIONS_FILE,
    RowError,
)
from customer360.ingest.validate import validate_bank
from customer360.model import AccountStatus, AccountType, PhoneType
from tests.tiny_bank import GOOD, replaced, write_bank


def only_error(directory: Path) -> RowError:
    """The one problem in the bank (rows rejected only because they depend on it aside)."""
    errors = [e for e in validate_bank(directory).all_errors if "is itself rejected" not in e.message]
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def errors_of(directory: Path) -> list[str]:
    return [str(e) for e in validate_bank(directory).all_errors]


def records(directory: Path, spec) -> list:
    check = validate_bank(directory)
    with SeedReader(check, spec) as reader:
        return [record for _line, record in reader]


# ---------------------------------------------------------------- the good bank


def test_good_bank_has_no_problems(tmp_path: Path) -> None:
    check = validate_bank(write_bank(tmp_path / "bank"))
    assert check.all_errors == []
    assert check.rows == {name: 3 for name in GOOD}
    assert check.unresolved == {}


def test_row_error_renders_file_row_column_and_reason() -> None:
    error = RowError(ACCOUNTS_FILE, 17, "balance", "is not a decimal amount")
    assert str(error) == "aml_data_accounts.csv, row 17, column balance: is not a decimal amount"
    assert str(RowError(ACCOUNTS_FILE, None, None, "file not found")) == "aml_data_accounts.csv: file not found"
    assert str(RowError(ACCOUNTS_FILE, 1, None, "x")) == "aml_data_accounts.csv, row 1: x"


# ---------------------------------------------------------------- whole files


def test_missing_directory(tmp_path: Path) -> None:
    error = only_error(tmp_path / "nowhere")
    assert error.file == str(tmp_path / "nowhere")
    assert (error.row, error.column) == (None, None)
    assert "directory not found" in str(error)


def test_directory_without_seed_files_names_every_file(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    errors = validate_bank(tmp_path / "empty").all_errors
    assert [e.file for e in errors] == [PERSONS_FILE, ACCOUNTS_FILE, ADDRESSES_FILE, PHONES_FILE, TRANSACTIONS_FILE]
    assert all(e.row is None and e.column is None and "file not found" in e.message for e in errors)


def test_misnamed_file_is_a_missing_file(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank")
    (bank / PHONES_FILE).rename(bank / "aml_data_phone.csv")
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (PHONES_FILE, None, None)
    assert "file not found" in error.message and "aml_data_phone.csv" in error.message


def test_missing_required_columns_are_all_named_on_row_1(tmp_path: Path) -> None:
    bank = write_bank(
        tmp_path / "bank",
        persons="person_id,first_name,last_name\nP1,Ada,Lovelace\n",
    )
    error = only_error(bank)
    assert (error.file, error.row) == (PERSONS_FILE, 1)
    assert "missing required columns date_of_birth, ssn" in str(error)
    assert "the header row must name person_id, first_name, last_name, date_of_birth, ssn" in str(error)


def test_empty_file(tmp_path: Path) -> None:
    error = only_error(write_bank(tmp_path / "bank", transactions=""))
    assert (error.file, error.row) == (TRANSACTIONS_FILE, 1)
    assert "empty" in error.message


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('"12,50x"', "is not a decimal amount"),
        ("12.505", "has more than 2 decimal places"),
        ("NaN", "is not a decimal amount"),
        ("1e20", "is too large"),
    ],
)
def test_bad_balance(tmp_path: Path, raw: str, reason: str) -> None:
    bank = write_bank(tmp_path / "bank", accounts=replaced(ACCOUNTS_FILE, "A2,P2,savings,52000", f"A2,P2,savings,{raw}"))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (ACCOUNTS_FILE, 3, "balance")
    assert reason in error.message
    assert raw.strip('"') not in error.message  # the value is found by file, row and column, not echoed
    assert str(error).startswith("aml_data_accounts.csv, row 3, column balance: ")


def test_unquoted_comma_shifts_columns_and_says_so(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", accounts=replaced(ACCOUNTS_FILE, "52000", "52,000"))
    errors = validate_bank(bank).errors
    assert errors[0].row == 3 and errors[0].column is None
    assert "6 values but the header has 5 columns (an unquoted comma in a value?)" in str(errors[0])


def test_too_few_values(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", accounts=replaced(ACCOUNTS_FILE, "A2,P2,savings,52000,active", "A2,P2"))
    errors = errors_of(bank)
    assert "aml_data_accounts.csv, row 3: 2 values but the header has 5 columns" in errors
    assert "aml_data_accounts.csv, row 3, column balance: required value is empty" in errors


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("0", "must be greater than 0"), ("-5.00", "must be greater than 0"), ("abc", "is not a decimal amount")],
)
def test_bad_amount(tmp_path: Path, raw: str, reason: str) -> None:
    bank = write_bank(tmp_path / "bank", transactions=replaced(TRANSACTIONS_FILE, "T3,A3,A1,9.99", f"T3,A3,A1,{raw}"))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (TRANSACTIONS_FILE, 4, "amount")
    assert reason in error.message


def test_negative_balance_is_fine_for_loans_and_cards(tmp_path: Path) -> None:
    accounts = records(write_bank(tmp_path / "bank"), ACCOUNTS)
    assert accounts[2].balance == Decimal("-250.00")
    assert accounts[1].balance == Decimal("52000.00")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12/10/1985", "is not a date (expected YYYY-MM-DD)"),
        ("1985-02-30", "is not a real date"),
        # A year ahead, not a day: the parameter is computed at collection time, and a run that
        # crosses midnight would otherwise validate "tomorrow" after it has become today.
        ((date.today() + timedelta(days=366)).isoformat(), "is in the future"),
    ],
)
def test_bad_date_of_birth(tmp_path: Path, raw: str, reason: str) -> None:
    bank = write_bank(tmp_path / "bank", persons=replaced(PERSONS_FILE, "1972-06-23", raw))
    errors = validate_bank(bank).errors
    assert (errors[0].file, errors[0].row, errors[0].column) == (PERSONS_FILE, 3, "date_of_birth")
    assert reason in errors[0].message
    assert raw not in errors[0].message  # a date of birth is personal data


def test_bad_ssn_is_reported_without_echoing_it(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", persons=replaced(PERSONS_FILE, "234-56-7890", "234-56-789X"))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (PERSONS_FILE, 3, "ssn")
    assert "expected NNN-NN-NNNN or 9 digits" in error.message
    assert "789X" not in str(error)


def test_ssn_of_nine_digits_is_normalised(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", persons=replaced(PERSONS_FILE, "234-56-7890", "234567890"))
    assert records(bank, PERSONS)[1].ssn == "234-56-7890"


def test_bad_account_type_lists_the_allowed_values(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", accounts=replaced(ACCOUNTS_FILE, "A2,P2,savings", "A2,P2,platinum"))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (ACCOUNTS_FILE, 3, "account_type")
    assert "platinum" not in error.message
    assert "checking, savings, investment, credit_card, loan" in error.message


def test_bad_account_status(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", accounts=replaced(ACCOUNTS_FILE, "-250.00,active", "-250.00,asleep"))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (ACCOUNTS_FILE, 4, "account_status")
    assert "asleep" not in error.message and "active, dormant, frozen, closed" in error.message


def test_account_types_in_any_case(tmp_path: Path) -> None:
    accounts = replaced(ACCOUNTS_FILE, "checking,1500.50,active", "CHECKING,1500.50,Active")
    accounts = accounts.replace("credit_card", "Credit Card")
    got = records(write_bank(tmp_path / "bank", accounts=accounts), ACCOUNTS)
    assert [a.account_type for a in got] == [AccountType.CHECKING, AccountType.SAVINGS, AccountType.CREDIT_CARD]
    assert got[0].status is AccountStatus.ACTIVE


def test_bad_phone_type(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", phones=replaced(PHONES_FILE, "0199,home", "0199,pager"))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (PHONES_FILE, 4, "phone_type")
    assert "pager" not in error.message and "mobile, home, work" in error.message


def test_phone_type_defaults_to_mobile_without_the_column(tmp_path: Path) -> None:
    phones = "phone_id,person_id,phone_number\nPH1,P1, +1-555-0100 \nPH2,P3,+1-555-0199\n"
    got = records(write_bank(tmp_path / "bank", phones=phones), PHONES)
    assert [(p.phone_id, p.number, p.phone_type) for p, _link in got] == [
        ("PH1", "+1-555-0100", PhoneType.MOBILE),
        ("PH2", "+1-555-0199", PhoneType.MOBILE),
    ]


def test_empty_required_value(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", persons=replaced(PERSONS_FILE, "P2,Alan,Turing", "P2,   ,Turing"))
    error = only_error(bank)
    assert str(error) == "aml_data_persons.csv, row 3, column first_name: required value is empty"


def test_a_name_with_a_control_character_is_refused_by_row_and_column(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", persons=replaced(PERSONS_FILE, "P2,Alan,Turing", "P2,Alan,Tur\x1fing"))
    error = only_error(bank)
    assert str(error) == "aml_data_persons.csv, row 3, column last_name: contains a control character (U+001F)"


def test_timestamps_iso_with_timezone_accepted(tmp_path: Path) -> None:
    transactions = replaced(TRANSACTIONS_FILE, "1700000100", "2023-11-14T22:15:00Z")
    transactions = transactions.replace("1700000200", "2023-11-14T23:16:40+01:00")
    got = records(write_bank(tmp_path / "bank", transactions=transactions), TRANSACTIONS)
    assert [t.timestamp for t in got] == [1700000000, 1700000100, 1700000200]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2023-11-14T22:15:00", "has no timezone"),
        ("yesterday", "is not a timestamp (expected epoch seconds or an ISO-8601 date-time"),
        ("1700000100.5", "is not a timestamp"),
        ("-1", "is before 1970-01-01"),
    ],
)
def test_bad_timestamp(tmp_path: Path, raw: str, reason: str) -> None:
    bank = write_bank(tmp_path / "bank", transactions=replaced(TRANSACTIONS_FILE, "1700000100", raw))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (TRANSACTIONS_FILE, 3, "timestamp")
    assert reason in error.message


def test_transaction_to_itself(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", transactions=replaced(TRANSACTIONS_FILE, "T2,A2,A3", "T2,A2,A2"))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (TRANSACTIONS_FILE, 3, "to_account_id")
    assert "same account as from_account_id" in error.message


def test_zip_code_keeps_its_leading_zero(tmp_path: Path) -> None:
    got = records(write_bank(tmp_path / "bank"), ADDRESSES)
    assert got[2][0].zip_code == "02139"


# ---------------------------------------------------------------- keys and links


def test_duplicate_account_id_names_the_first_row(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", accounts=GOOD[ACCOUNTS_FILE] + "A2,P1,loan,-10,active\n")
    error = only_error(bank)
    assert str(error) == "aml_data_accounts.csv, row 5, column account_id: duplicate account_id (first seen on row 3)"


def test_duplicate_transaction_id(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", transactions=replaced(TRANSACTIONS_FILE, "T3,", "T1,"))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (TRANSACTIONS_FILE, 4, "transaction_id")
    assert "duplicate transaction_id (first seen on row 2)" in error.message


def test_shared_address_with_conflicting_fields_names_both_rows(tmp_path: Path) -> None:
    bank = write_bank(
        tmp_path / "bank",
        addresses=replaced(ADDRESSES_FILE, "AD1,P2,1 Main St,Springfield,IL,62701", "AD1,P2,2 Main St,Springfield,IL,62701"),
    )
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (ADDRESSES_FILE, 3, "street")
    assert "the same address_id has a different street on row 2" in error.message
    assert "Main St" not in error.message


def test_shared_phone_with_conflicting_number(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", phones=replaced(PHONES_FILE, "PH1,P2,+1-555-0100", "PH1,P2,+1-555-0101"))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (PHONES_FILE, 3, "phone_number")
    assert "on row 2" in error.message


def test_same_person_linked_twice_to_an_address(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", addresses=GOOD[ADDRESSES_FILE] + "AD1,P1,1 Main St,Springfield,IL,62701\n")
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (ADDRESSES_FILE, 5, "address_id")
    assert "duplicate link of the same person_id to the same address_id (first seen on row 2)" in error.message


def test_shared_address_is_one_record_with_two_residents(tmp_path: Path) -> None:
    got = records(write_bank(tmp_path / "bank"), ADDRESSES)
    assert [(a.address_id, r.person_id) for a, r in got] == [("AD1", "P1"), ("AD1", "P2"), ("AD2", "P3")]


def test_links_to_ids_in_no_file_are_left_for_the_store(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", accounts=replaced(ACCOUNTS_FILE, "A2,P2", "A2,P9"))
    check = validate_bank(bank)
    assert check.errors == []
    assert check.unresolved == {VertexLabel.PERSON: {"P9"}}
    check = validate_bank(bank, missing={VertexLabel.PERSON: {"P9"}})
    assert [str(e) for e in check.errors][0] == (
        "aml_data_accounts.csv, row 3, column owner_person_id: "
        "unknown person_id: not in aml_data_persons.csv and not in the store"
    )


def test_row_depending_on_a_rejected_row_is_rejected_too(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", persons=replaced(PERSONS_FILE, "1972-06-23", "1972-13-01"))
    errors = errors_of(bank)
    assert errors == [
        "aml_data_persons.csv, row 3, column date_of_birth: is not a real date",
        "aml_data_accounts.csv, row 3, column owner_person_id: "
        "the person it links to is itself rejected (aml_data_persons.csv, row 3), so this row is too",
        "aml_data_addresses.csv, row 3, column person_id: "
        "the person it links to is itself rejected (aml_data_persons.csv, row 3), so this row is too",
        "aml_data_phones.csv, row 3, column person_id: "
        "the person it links to is itself rejected (aml_data_persons.csv, row 3), so this row is too",
        "aml_data_transactions.csv, row 2, column to_account_id: "
        "the account it links to is itself rejected (aml_data_accounts.csv, row 3), so this row is too",
        "aml_data_transactions.csv, row 3, column from_account_id: "
        "the account it links to is itself rejected (aml_data_accounts.csv, row 3), so this row is too",
    ]


# ---------------------------------------------------------------- text and lines


def test_bom_and_untidy_header_are_accepted(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank")
    (bank / PERSONS_FILE).write_bytes(
        b"\xef\xbb\xbf" + GOOD[PERSONS_FILE].replace("person_id,first_name", " Person_ID , first_name").encode()
    )
    assert validate_bank(bank).all_errors == []
    assert [p.person_id for p in records(bank, PERSONS)] == ["P1", "P2", "P3"]


def test_values_are_stripped(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", accounts=replaced(ACCOUNTS_FILE, "A1,P1,checking,1500.50", " A1 , P1 , checking , 1500.50 "))
    got = records(bank, ACCOUNTS)
    assert (got[0].account_id, got[0].owner_person_id, got[0].balance) == ("A1", "P1", Decimal("1500.50"))


def test_row_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path: Path) -> None:
    addresses = (
        "address_id,person_id,street,city,state,zip_code\r\n"
        "AD1,P1,\"1 Main St\r\nApt 2\",Springfield,IL,62701\r\n"  # rows 2-3
        "\r\n"  # row 4: blank
        ",,,,,\r\n"  # row 5: a spreadsheet's empty row
        "AD2,P3,9 Elm St,Cambridge,MA,\r\n"  # row 6
    )
    error = only_error(write_bank(tmp_path / "bank", addresses=addresses))
    assert (error.file, error.row, error.column) == (ADDRESSES_FILE, 6, "zip_code")


def test_quote_left_open_is_explained(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", persons=replaced(PERSONS_FILE, "P2,Alan,", 'P2,"Alan,'))
    errors = errors_of(bank)
    assert errors[0] == (
        "aml_data_persons.csv, row 3: 2 values but the header has 6 columns"
        " (a quote left open takes in the lines after it)"
    )


def test_bytes_that_are_not_utf8_are_reported_on_their_cell(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank")
    (bank / PERSONS_FILE).write_bytes(GOOD[PERSONS_FILE].replace("Grace", "Gr\x00ce").encode().replace(b"\x00", b"\xe9"))
    error = only_error(bank)
    assert (error.file, error.row, error.column) == (PERSONS_FILE, 4, "first_name")
    assert "not valid UTF-8" in error.message
