"""The audit event's canonical form, records (one link per response), the hash chain and Merkle checkpoints.

These are what tamper evidence rests on: the same event must always give the same bytes (or
a sink round trip would look like tampering), and any change must change the hash.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from customer360.audit.chain import (
    GENESIS,
    content_matches,
    record_matches,
    seal,
    seal_record,
)
from customer360.audit.events import (
    AuditEvent,
    AuditRecord,
    LoadedFile,
    SealedEvent,
    SealedLink,
    canonical_bytes,
    canonical_json,
    format_time,
    new_event_id,
    new_event_id_texts,
    new_event_ids,
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


def test_a_batch_of_event_ids_keeps_the_order_made_even_past_4096_in_one_millisecond():
    batch = new_event_ids(AT, 5000) + new_event_ids(AT, 3)
    assert all(event_id.version == 7 for event_id in batch)
    assert len(set(batch)) == len(batch)
    assert [str(event_id) for event_id in batch] == sorted(str(event_id) for event_id in batch)


def test_event_id_texts_are_canonical_uuid7s_in_the_order_made_past_4096_in_one_millisecond():
    """The spelled ids a record stores: what ``uuid.UUID`` would write, RFC 9562 variant,
    distinct, sorted as made, across a millisecond's 4,096 counters and from call to call."""
    texts = new_event_id_texts(AT, 5000) + new_event_id_texts(AT, 1) + new_event_id_texts(AT, 300)
    parsed = [uuid.UUID(text) for text in texts]
    assert [str(event_id) for event_id in parsed] == texts
    assert all(event_id.version == 7 and event_id.variant == uuid.RFC_4122 for event_id in parsed)
    assert len(set(texts)) == len(texts) and texts == sorted(texts)
    assert len({event_id.int & (1 << 62) - 1 for event_id in parsed}) == len(texts)  # the random bits differ


def test_a_responses_events_list_each_customers_fields_sorted_once():
    record = AuditRecord.reads([("P1", {"b", "a"}, set()), ("P2", {"a", "b"}, {"c"}), ("P3", ["z"], ())],
                               principal="analyst-1", roles=["b", "a"], at=AT)
    events = record.events()
    assert [e.customer_id for e in events] == ["P1", "P2", "P3"]
    assert [e.fields_clear for e in events] == [("a", "b"), ("a", "b"), ("z",)]
    assert [e.fields_masked for e in events] == [(), ("c",), ()]
    assert events[0].roles == ("a", "b")
    assert len({e.event_id for e in events}) == 3 and all(e.event_id.version == 7 for e in events)
    assert [AuditEvent.from_dict(e.to_dict()) for e in events] == events
    assert AuditRecord.from_dict(record.to_dict()) == record


def test_events_group_into_one_record_per_response_and_nothing_carries_over():
    """Consecutive events sharing everything but id, customer and fields are one record (one
    link); a change of caller, time, kind or anything else they share starts the next."""
    first = AuditRecord.reads([("P1", {"name"}, {"ssn"}), ("P2", {"name", "accounts.balance"}, ())],
                              principal="analyst-1", roles=["analyst"], purpose="kyc", operation_name="A", at=AT).events()
    second = AuditRecord.reads([("P1", {"name"}, ())], principal="service-7", roles=["integration"], purpose="onboarding",
                               operation_name="B", request_id="r-2", at=AT + timedelta(seconds=1)).events()
    loaded = AuditEvent.load(principal="os:alice", files=[LoadedFile("person.csv", "ab" * 32, 3)], rows=3, at=AT)
    same_time_other_caller = [a_read(customer_id="P9"), a_read(customer_id="P8", principal="bob")]
    events = [*first, *second, loaded, *first, *same_time_other_caller]
    records = AuditRecord.grouped(events)
    assert [len(record.entries) for record in records] == [2, 1, 1, 2, 1, 1]
    assert [event for record in records for event in record.events()] == events


def a_sealed_record(customers: int = 3) -> list[SealedEvent]:
    record = AuditRecord.reads([(f"P{i}", {"name", "accounts.balance"}, {"ssn"} if i % 2 else ()) for i in range(customers)],
                               principal="analyst-1", roles=["analyst"], purpose="kyc", operation_name="A", at=AT)
    link, _ = seal_record(record, "writer-1", 5, "ab" * 32)
    return link.sealed_events()


def test_a_records_events_take_consecutive_places_and_share_its_one_link():
    events = a_sealed_record(3)
    assert [e.seq for e in events] == [5, 6, 7]
    assert {(e.prev_hash, e.hash, e.link_first, e.link_last) for e in events} == {("ab" * 32, events[0].hash, 5, 7)}
    assert record_matches(events)


def test_any_change_to_a_records_events_or_their_order_is_detected():
    events = a_sealed_record(3)
    for index in range(3):
        for change in (dict(purpose="marketing"), dict(fields_masked=("dob",)), dict(fields_clear=("name",)),
                       dict(customer_id="P-other"), dict(principal="mallory"), dict(event_id=uuid.uuid4()),
                       dict(occurred_at=AT + timedelta(seconds=1))):
            altered = list(events)
            altered[index] = dataclasses.replace(events[index], event=dataclasses.replace(events[index].event, **change))
            assert not record_matches(altered), (index, change)
    assert not record_matches(events[:2])  # its last event gone
    assert not record_matches([events[1], events[0], events[2]])  # two swapped
    relinked = [dataclasses.replace(e, prev_hash="cd" * 32) for e in events]
    assert not record_matches(relinked)
    moved = [dataclasses.replace(e, seq=e.seq + 1, link_first=6, link_last=8) for e in events]
    assert not record_matches(moved)


def test_a_spooled_link_reads_back_as_either_version():
    events = a_sealed_record(2)
    link = SealedLink(AuditRecord.grouped(e.event for e in events)[0], "writer-1", 5, "ab" * 32, events[0].hash)
    assert SealedLink.from_dict({"hash": link.hash, "prev_hash": link.prev_hash, "record": link.record.to_dict(),
                                 "seq": 5, "v": 2, "writer_id": "writer-1"}) == link
    alone = seal(a_read(), "writer-1", 3, GENESIS)
    old = SealedLink.from_dict(alone.to_dict())
    assert old.version == 1 and old.sealed_events() == [alone]


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


def _canonical_v1_reference(value) -> bytes:
    """How version 1 of the canonical form was defined: the standard library's JSON."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def test_the_canonical_bytes_are_the_version_1_definition_for_every_code_point():
    """Events sealed before the spool wrote canonical bytes with orjson must still verify:
    every character a field can hold is written exactly as the reference writes it."""
    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(every), 4096):
        text = "".join(every[start:start + 4096])
        value = {"b": [text, None, 7, -1, True], "a": {"z": text, "é": 0}, "": ""}
        assert canonical_json(value) == _canonical_v1_reference(value), f"code points from U+{ord(every[start]):04X}"


GOLDEN_READ = AuditEvent(
    event_id=uuid.UUID("01974b2e-8a3b-7000-8000-000000000001"), kind="read", occurred_at=AT,
    principal='Zoë "zed" \\ Ørsted\u2028\x1f\x7f', outcome="partial", roles=("analyst", "admin"),
    purpose="kyc\n\t", customer_id="P0000001", fields_clear=("name", "accounts.balance", "ünïcode.😀"),
    fields_masked=("ssn",), operation_name=None, document_hash="ab" * 32, request_id="req-1",
    client_address="10.0.0.7",
)
GOLDEN_LOAD = AuditEvent(
    event_id=uuid.UUID("01974b2e-8a3b-7000-8000-000000000002"), kind="load", occurred_at=AT, principal="os:ops",
    outcome="complete", files=(LoadedFile("b.csv", "11" * 32, 5),), rows=5, purpose="load",
)
"""Events whose hashes are pinned: every character class a field can hold, and a load."""


def test_events_sealed_by_earlier_versions_keep_their_hashes():
    """Golden hashes, computed by the standard-library version of the canonical form: a change
    to the bytes would make ``c360 audit verify`` report every stored event as tampered with."""
    read = GOLDEN_READ
    load = GOLDEN_LOAD
    assert seal(read, "writer-1", 7, "cd" * 32).hash == "007de601d3d8db8da3a062a465ed0ca9778936a26d1ec0584180cb1f4a32d617"
    assert seal(load, "writer-1", 8, "ef" * 32).hash == "0d853c0ae906630365ef78212ee8c1bc8d420a8e00de869fa606eacf1a09aedc"


def test_records_keep_their_hashes():
    """Golden hashes of version 2 (one link per record), so that a change to its canonical
    bytes cannot pass unnoticed: every record already stored would stop verifying."""
    read = GOLDEN_READ
    second = dataclasses.replace(read, event_id=uuid.UUID("01974b2e-8a3b-7000-8000-000000000003"), customer_id="P2",
                                 fields_masked=())
    load = GOLDEN_LOAD
    [response] = AuditRecord.grouped([read, second])
    [loaded] = AuditRecord.grouped([load])
    link, canonical = seal_record(response, "writer-1", 7, "cd" * 32)
    assert canonical == _canonical_v1_reference({"prev_hash": "cd" * 32, "record": response.to_dict(), "seq": 7, "v": 2,
                                                 "writer_id": "writer-1"})
    assert link.hash == "0a462c771c7c49da3f620662689f65d2b36fc8acbbb4ca642d6f68174d9567bd"
    assert seal_record(loaded, "writer-1", 9, "ef" * 32)[0].hash == \
        "35f1542cd31af97590ed0f496be404486127ab076acc24e596c24295af31e2f4"


def test_times_spell_the_same_whatever_the_zone_and_whatever_came_before():
    moments = [AT, AT.astimezone(timezone(timedelta(hours=-5))), AT + timedelta(milliseconds=1), AT]
    assert [format_time(m) for m in moments] == [
        "2025-06-01T09:30:00.123Z", "2025-06-01T09:30:00.123Z", "2025-06-01T09:30:00.124Z", "2025-06-01T09:30:00.123Z",
    ]
    assert format_time(datetime(2025, 6, 1, 9, 30, tzinfo=timezone.utc)) == "2025-06-01T09:30:00.000Z"
