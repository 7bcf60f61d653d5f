"""Token buckets with a clock the test turns, and cursors checked for size and shape."""

from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest

from customer360.auth.rate_limits import RateLimiter, principal_or_client
from customer360.graphstore.plan import Keyset
from customer360.resolvers.amounts import amount_problem
from customer360.resolvers.cursors import (
    MAX_CURSOR_LENGTH,
    cursor_problem,
    decode_cursor,
    encode_cursor,
)
from customer360.resolvers.errors import UserError
from tests.abuse_corpus import cursor


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=2, burst=3, clock=clock)
    assert [limiter.wait_for("alice") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait_for("alice") == pytest.approx(0.5)
    assert limiter.wait_for("bob") == 0.0  # buckets are per principal
    clock.now += 0.5
    assert limiter.wait_for("alice") == 0.0
    clock.now += 60
    assert [limiter.wait_for("alice") for _ in range(4)][-1] > 0  # refills to the burst, no more


def test_the_table_of_buckets_is_bounded() -> None:
    limiter = RateLimiter(per_second=1, burst=1, clock=Clock(), max_keys=100)
    for n in range(10_000):
        limiter.wait_for(f"address:{n}")
    assert len(limiter._buckets) == 100


def test_requests_count_against_their_principal_else_their_address() -> None:
    assert principal_or_client({"state": {"principal": SimpleNamespace(name="kyc-service")}, "client": ("10.0.0.1", 5)}) == (
        "principal:kyc-service"
    )
    assert principal_or_client({"client": ("10.0.0.1", 5)}) == "address:10.0.0.1"


@pytest.mark.parametrize(
    ("ordering", "value"),
    [("name:asc", ["Lovelace", "Ada"]), ("total_balance:desc", -250), ("timestamp:desc", 1_700_000_000),
     ("shared_phone:persons_desc", 3)],
)
def test_our_own_cursors_come_back_whole(ordering: str, value: object) -> None:
    encoded = encode_cursor(ordering, Keyset(value, "K1"))
    assert cursor_problem(encoded) is None
    assert decode_cursor("f", ordering, encoded) == Keyset(value, "K1")


@pytest.mark.parametrize(
    ("ordering", "value", "key"),
    [
        ("timestamp:desc", [1, 2], "TX1"),  # a list where a timestamp belongs: SQLite's "row value misused"
        ("timestamp:desc", True, "TX1"),
        ("timestamp:desc", 2**70, "TX1"),  # no 64-bit integer: "Python int too large to convert"
        ("total_balance:asc", "lots", "P1"),
        ("total_balance:asc", {"$gt": 0}, "P1"),
        ("name:asc", ["only one"], "P1"),
        ("name:asc", ["a", "b", "c"], "P1"),
        ("name:asc", ["a", 1], "P1"),
        ("timestamp:desc", 5, 42),
        ("timestamp:desc", 5, "K" * 300),
        ("no_such_ordering:asc", 5, "P1"),
    ],
)
def test_a_cursor_with_a_wrong_shaped_value_is_refused_naming_field_and_argument(ordering: str, value: object, key: object) -> None:
    text = cursor(ordering, value, key)  # type: ignore[arg-type]
    assert cursor_problem(text) is not None
    with pytest.raises(UserError, match=r"^Person.transactions: argument 'after' is not a cursor returned by this field"):
        decode_cursor("Person.transactions", ordering, text)


def test_a_cursor_longer_than_ours_is_refused_before_decoding() -> None:
    assert "longer than any cursor" in cursor_problem("A" * (MAX_CURSOR_LENGTH + 1))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1e999997", "absurd exponent"),
        ("1e309", "too large"),
        ("9" * 5000, "too long"),
        ("1000000000000000", "too large"),
        ("0.001", "more than two decimal places"),
        ("Infinity", "not a decimal amount"),
        ("12,5", "not a decimal amount"),
    ],
)
def test_amounts_are_judged_from_their_text(text: str, reason: str) -> None:
    assert reason in amount_problem(text)


@pytest.mark.parametrize("text", ["0", "1234.56", "-250.00", ".5", "1E+2", "999999999999999.99"])
def test_ordinary_amounts_pass(text: str) -> None:
    assert amount_problem(text) is None


def test_a_cursor_an_earlier_version_gave_out_still_reads() -> None:
    """Cursors are hex now (what SQLite's ``hex(json_object(...))`` writes); a client paging
    across an upgrade still holds a base64 one."""
    earlier = base64.urlsafe_b64encode(b'{"o":"name:asc","v":["L\\u00f6w","Ada"],"k":"P1"}').decode().rstrip("=")
    assert decode_cursor("customers", "name:asc", earlier) == Keyset(["Löw", "Ada"], "P1")
    now = encode_cursor("name:asc", Keyset(["Löw", "Ada"], "P1"))
    assert now == '{"o":"name:asc","v":["Löw","Ada"],"k":"P1"}'.encode().hex().upper()
    assert decode_cursor("customers", "name:asc", now) == Keyset(["Löw", "Ada"], "P1")
