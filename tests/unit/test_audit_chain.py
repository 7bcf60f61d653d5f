"""The audit event's canonical form, the hash chain and Merkle checkpoints.

These are what tamper evidence rests on: the same event must always give the same bytes (or
a sink round trip would look like tampering), and any change must change the hash.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from customer360.audit.chain import GENESIS, content_matches, seal
from customer360.audit.events import (
    AuditEvent,
    LoadedFile,
    SealedEvent,
    canonical_bytes,
    new_event_id,
)
from customer360.audit.merkle import merkle_root

AT = datetime(2025, 6, 1, 9, 30, 0, 123456, tzinfo=timezone.utc)


def a_read(**changes) -> AuditEvent:
    fields = dict(customer_id="P0000001", principal="alice", roles=["analyst", "admin"], purpose="kyc",
                  fields_clear=["name", "accounts.balance"], fields_masked=["ssn"], operation_name="Profile",
                  document_hash="ab" * 32, request_id="req-1", client_address="10.0.0.7", at=AT)
    fields.update(changes)
    return AuditEvent.read(**fields)


def test_the_canonical_form_survives_a_round_trip_and_ignores_list_order():
    event = a_read()
    again = AuditEvent.from_dict(event.to_dict())
    assert canonical_bytes("w", 1, GENESIS, again) == canonical_bytes("w", 1, GENESIS, event)
    reordered = dataclasses.replace(event, roles=("admin", "analyst"),
                                    fields_clear=("accounts.balance", "name", "name"))
    assert canonical_bytes("w", 1, GENESIS, reordered) == canonical_bytes("w", 1, GENESIS, event)


def test_times_are_kept_in_utc_milliseconds_and_naive_times_are_refused():
    event = a_read(at=AT.astimezone(timezone(timedelta(hours=2))))
    assert event.occurred_at == datetime(2025, 6, 1, 9, 30, 0, 123000, tzinfo=timezone.utc)
    assert event.to_dict()["occurred_at"] == "2025-06-01T09:30:00.123Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        a_read(at=datetime(2025, 6, 1))


def test_a_read_needs_a_customer_and_every_event_a_principal():
    with pytest.raises(ValueError, match="customer id"):
        a_read(customer_id="")
    with pytest.raises(ValueError, match="principal"):
        a_read(principal="")


def test_load_events_list_files_with_hashes_and_rows():
    event = AuditEvent.load(principal="os:ops", files=[LoadedFile("b.csv", "11" * 32, 5), LoadedFile("a.csv", "22" * 32, 3)],
                            rows=8, at=AT)
    assert [f.name for f in event.files] == ["a.csv", "b.csv"]
    assert AuditEvent.from_dict(event.to_dict()) == event
    assert event.customer_id is None and event.kind.value == "load"


def test_event_ids_are_uuid7_and_sort_by_time():
    earlier, later = new_event_id(AT), new_event_id(AT + timedelta(milliseconds=1))
    assert earlier.version == 7 and later.version == 7
    assert earlier < later and str(earlier) < str(later)


def test_any_change_to_a_sealed_event_is_detected():
    sealed = seal(a_read(), "writer-1", 1, GENESIS)
    assert content_matches(sealed)
    for change in (dict(purpose="marketing"), dict(fields_masked=()), dict(principal="mallory"),
                   dict(occurred_at=AT + timedelta(seconds=1)), dict(event_id=uuid.uuid4())):
        altered = SealedEvent(dataclasses.replace(sealed.event, **change), sealed.writer_id, sealed.seq,
                              sealed.prev_hash, sealed.hash)
        assert not content_matches(altered), change
    moved = SealedEvent(sealed.event, sealed.writer_id, 2, sealed.prev_hash, sealed.hash)
    assert not content_matches(moved)


def test_each_hash_covers_the_previous_one():
    first = seal(a_read(), "w", 1, GENESIS)
    second = seal(a_read(customer_id="P2"), "w", 2, first.hash)
    relinked = seal(a_read(customer_id="P2"), "w", 2, "f" * 64)
    assert second.prev_hash == first.hash
    assert relinked.hash != second.hash


def test_merkle_roots_change_with_any_leaf_its_order_or_a_duplicated_tail():
    leaves = [seal(a_read(customer_id=f"P{i}"), "w", i + 1, GENESIS).hash for i in range(5)]
    root = merkle_root(leaves)
    assert merkle_root(list(leaves)) == root
    for i in range(5):
        changed = list(leaves)
        changed[i] = "00" * 32
        assert merkle_root(changed) != root
    assert merkle_root(leaves[::-1]) != root
    assert merkle_root(leaves[:3]) != merkle_root(leaves[:3] + leaves[2:3])
    assert merkle_root(leaves[:1]) != leaves[0]  # leaves are hashed with their own prefix
    with pytest.raises(ValueError):
        merkle_root([])
