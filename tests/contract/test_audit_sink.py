"""The audit sink contract: the same tests on every sink (SQLite always, Cassandra when it
answers; CI requires it). Each test writes its own writer's chain about its own customers
and principals, so tests never see each other's events.

Chains are written both ways a sink meets them: records (a response's events sealed as one
link, as the spool seals them) and events sealed one by one (what earlier versions spooled
and stored, which must keep reading back and verifying)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from customer360.audit.events import AuditEvent, AuditRecord, LoadedFile
from customer360.audit.paging import InvalidPageRequest, PageRequest
from customer360.audit.protocol import AuditSink
from customer360.audit.sqlite import SqliteAuditSink
from customer360.audit.verify import verify
from tests.audit_sinks import (
    cassandra_sink_or_skip,
    chain_of,
    checkpoints_of,
    events_of,
    link_checkpoints_of,
    links_of,
    reads,
    records_chain_of,
)

KEYSPACE = "c360_audit_test"
DAY = datetime(2025, 3, 10, tzinfo=timezone.utc)


@pytest.fixture(scope="module", params=["sqlite", "cassandra"])
def sink(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditSink]:
    if request.param == "sqlite":
        opened: AuditSink = SqliteAuditSink(tmp_path_factory.mktemp("audit") / "audit.db")
    else:
        opened = cassandra_sink_or_skip(KEYSPACE)
    yield opened
    asyncio.run(opened.close())


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def everything(read, key: str, page_size: int, **window) -> tuple[list, int]:
    """Page through a trail to its end; return the events and how many pages it took."""
    found, after, pages = [], None, 0
    while True:
        page = await read(key, PageRequest.build(page_size, after=after, **window))
        pages += 1
        found += page.events
        if not page.has_next:
            return found, pages
        after = page.next_cursor


def newest_first(chain) -> list:
    return sorted(chain, key=lambda e: (e.event.occurred_at, e.event.event_id), reverse=True)


async def test_written_events_read_back_exactly(sink: AuditSink):
    customer, principal = unique("P"), unique("zoë")
    events = [
        AuditEvent.read(customer_id=customer, principal=principal, roles=["analyst"], purpose="fraud review ✓",
                        fields_clear=["name", "accounts.balance", "transactions.amount"], fields_masked=["ssn"],
                        operation_name="Profile", document_hash="c" * 64, request_id="r-1", client_address="::1",
                        at=DAY),
        AuditEvent.read(customer_id=customer, principal=principal, outcome="refused", at=DAY + timedelta(seconds=1)),
        AuditEvent.load(principal=principal, files=[LoadedFile("persons.csv", "a" * 64, 3)], rows=3,
                        outcome="partial", at=DAY + timedelta(seconds=2)),
    ]
    chain = chain_of(events)
    await sink.write(links_of(chain))
    trail = await sink.audit_trail(customer, PageRequest(first=10))
    log = await sink.access_log(principal, PageRequest(first=10))
    assert trail.events == newest_first(chain[:2])
    assert log.events == newest_first(chain)  # loads are in the principal's log, not a customer's trail
    assert not trail.has_next and not log.has_next


async def test_replaying_a_batch_leaves_one_row_per_event(sink: AuditSink):
    customer = unique("P")
    chain = chain_of(reads(customer, 12, start=DAY, step=timedelta(minutes=1)))
    await sink.write(links_of(chain[:8]))
    await sink.write(links_of(chain))  # the drainer retrying after it lost the answer
    await sink.write(links_of(chain[4:10]))
    trail, _ = await everything(sink.audit_trail, customer, 100)
    stored = [e async for e in sink.chain(chain[0].writer_id)]
    assert trail == newest_first(chain)
    assert stored == chain


async def test_a_customers_trail_pages_newest_first_across_days(sink: AuditSink):
    customer, other = unique("P"), unique("P")
    # 25 events over three days, five of them in one millisecond
    events = reads(customer, 20, start=DAY, step=timedelta(hours=3, milliseconds=7))
    events += reads(customer, 5, start=DAY + timedelta(hours=13), step=timedelta(0))
    noise = reads(other, 4, start=DAY, step=timedelta(hours=5))
    chain = chain_of(events + noise)
    await sink.write(links_of(chain))
    found, pages = await everything(sink.audit_trail, customer, 10)
    assert found == newest_first(chain[:25])
    assert pages == 3
    with pytest.raises(InvalidPageRequest, match="after"):
        await sink.audit_trail(customer, PageRequest.build(10, after="not-a-cursor"))


async def test_a_window_includes_since_and_excludes_until(sink: AuditSink):
    customer = unique("P")
    chain = chain_of(reads(customer, 10, start=DAY, step=timedelta(hours=6)))  # 0h, 6h, ... 54h
    await sink.write(links_of(chain))
    since, until = DAY + timedelta(hours=12), DAY + timedelta(hours=36)
    found, _ = await everything(sink.audit_trail, customer, 2, since=since, until=until)
    assert [e.event.occurred_at for e in found] == [DAY + timedelta(hours=h) for h in (30, 24, 18, 12)]
    empty = await sink.audit_trail(customer, PageRequest(first=5, since=DAY - timedelta(days=9),
                                                         until=DAY - timedelta(days=8)))
    assert empty.events == [] and not empty.has_next


async def test_a_principals_log_pages_over_every_customer_they_read(sink: AuditSink):
    principal = unique("svc")
    events = []
    for n in range(4):
        events += reads(unique("P"), 6, start=DAY + timedelta(minutes=n), step=timedelta(hours=7), principal=principal)
    events += reads(unique("P"), 3, start=DAY, step=timedelta(hours=1), principal=unique("someone-else"))
    chain = chain_of(events)
    await sink.write(links_of(chain))
    found, pages = await everything(sink.access_log, principal, 7)
    assert found == newest_first(chain[:24])
    assert pages == 4


async def test_checkpoints_are_stored_per_writer(sink: AuditSink):
    chain = chain_of(reads(unique("P"), 9, start=DAY, step=timedelta(seconds=1)))
    checkpoints = checkpoints_of(chain, 4)
    await sink.write(links_of(chain), checkpoints)
    await sink.write([], checkpoints)  # replayed: still two
    assert await sink.checkpoints(chain[0].writer_id) == checkpoints
    assert chain[0].writer_id in await sink.writers()


async def test_verify_passes_on_an_intact_record(sink: AuditSink):
    chain = chain_of(reads(unique("P"), 12, start=DAY, step=timedelta(minutes=5), purpose="kyc"))
    await sink.write(links_of(chain), checkpoints_of(chain, 5))
    report = await verify(sink, writers=[chain[0].writer_id])
    assert report.ok, [str(f) for f in report.findings]
    assert (report.events, report.checkpoints, report.unchecked_tail) == (12, 2, 2)
    assert report.copies == 12 * len(sink.copy_tables_for(chain[0].event))  # Cassandra: by customer and by principal


def a_response(customers: list[str], principal: str, at: datetime, **context) -> AuditRecord:
    return AuditRecord.reads([(customer, ["name", "accounts.balance"], ["ssn"] if n % 2 else []) for n, customer
                              in enumerate(customers)], principal=principal, roles=["analyst"], purpose="kyc ✓", at=at,
                             **context)


async def test_a_responses_record_is_stored_as_one_event_per_customer(sink: AuditSink):
    customers, principal = [unique("P") for _ in range(3)], unique("svc")
    load = AuditEvent.load(principal=principal, files=[LoadedFile("persons.csv", "a" * 64, 3)], rows=3,
                           at=DAY + timedelta(seconds=1))
    links = records_chain_of([a_response(customers, principal, DAY, operation_name="Nested", request_id="r-1"),
                              *AuditRecord.grouped([load]),
                              a_response(customers[:1], principal, DAY + timedelta(seconds=2))])
    await sink.write(links)
    events = events_of(links)
    assert [(e.seq, e.link_first, e.link_last) for e in events] == [(1, 1, 3), (2, 1, 3), (3, 1, 3), (4, 4, 4), (5, 5, 5)]
    trail = await sink.audit_trail(customers[0], PageRequest(first=10))
    assert trail.events == newest_first([e for e in events if e.event.customer_id == customers[0]])
    assert (await sink.audit_trail(customers[1], PageRequest(first=10))).events == [events[1]]
    log, _ = await everything(sink.access_log, principal, 2)
    assert log == newest_first(events)
    assert [e async for e in sink.chain(links[0].writer_id)] == events
    report = await verify(sink, writers=[links[0].writer_id])
    assert report.ok, [str(f) for f in report.findings]
    assert report.events == 5


async def test_replaying_a_batch_of_records_leaves_one_row_per_event(sink: AuditSink):
    customers, principal = [unique("P") for _ in range(4)], unique("svc")
    links = records_chain_of([a_response(customers, principal, DAY + timedelta(minutes=n)) for n in range(3)])
    await sink.write(links[:2])
    await sink.write(links)  # the drainer retrying after it lost the answer
    assert [e async for e in sink.chain(links[0].writer_id)] == events_of(links)
    trail, _ = await everything(sink.audit_trail, customers[2], 100)
    assert [e.seq for e in trail] == [11, 7, 3]


async def test_a_chain_going_on_from_events_sealed_alone_to_records_verifies(sink: AuditSink):
    """A writer whose spool was written by an earlier version (a link per event) and then by
    this one (a link per record): one chain, one run of checkpoints, all verified."""
    customer, principal = unique("P"), unique("svc")
    earlier = chain_of(reads(customer, 3, start=DAY, step=timedelta(seconds=1), principal=principal))
    later = records_chain_of([a_response([customer, unique("P")], principal, DAY + timedelta(minutes=n))
                              for n in range(4)], earlier[0].writer_id, seq=4, head=earlier[-1].hash)
    await sink.write(links_of(earlier) + later, checkpoints_of(earlier, 3) + link_checkpoints_of(later, 2))
    report = await verify(sink, writers=[earlier[0].writer_id])
    assert report.ok, [str(f) for f in report.findings]
    assert (report.events, report.checkpoints, report.unchecked_tail) == (11, 3, 0)
    trail, _ = await everything(sink.audit_trail, customer, 3)
    assert trail == newest_first(earlier + [e for e in events_of(later) if e.event.customer_id == customer])
