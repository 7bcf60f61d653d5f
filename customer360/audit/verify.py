"""Recompute every chain and checkpoint in a sink and name what was altered, removed or inserted.

What each check catches:

* **The hash of each link** (a record: the events of one response, or one load, sealed
  together; or, as earlier versions wrote, one event alone), over its events' content, the
  writer, the sequence number and the predecessor's hash: an edited row, unless the editor
  also recomputed the hash. Every event of a record names the record's first and last
  sequence numbers, so a record missing its last events is found even at the chain's end.
* **The links**: sequence numbers run 1, 2, 3... per writer and each event names its
  predecessor's hash. A deleted row leaves a gap; a row whose hash was recomputed after an
  edit no longer matches what its successor links to.
* **Checkpoints** (their own table, Merkle roots over runs of the chain, contiguous from
  sequence 1): a rewrite of a whole tail with recomputed hashes changes the roots; a deleted
  tail leaves checkpoints pointing past the chain's end.
* **Copies** (Cassandra keeps each event in a by-customer and a by-principal table besides the
  chain): every copy must exist and equal the chain's event; a copy with no place in the chain
  was inserted.

With a TTL, Cassandra deletes old rows by itself: a missing start of a chain, or a missing
copy, is accepted as expired when the checkpoints or the event's time show it had passed
its TTL. What no check can catch: a forger who rewrites events, checkpoints and copies
consistently; the log line each checkpoint writes (``audit checkpoint ... root=``) is the
independent record to compare against.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from customer360.audit.chain import GENESIS, content_matches, record_matches
from customer360.audit.events import (
    AuditEvent,
    Checkpoint,
    SealedEvent,
    format_time,
    utc_now,
)
from customer360.audit.merkle import merkle_root
from customer360.audit.protocol import AuditSink, BrokenRow, EventCopy

ALTERED = "altered"
REMOVED = "removed"
INSERTED = "inserted"


@dataclass(frozen=True, slots=True)
class Finding:
    """One place the record differs from what its writer wrote."""

    writer_id: str
    seq: int
    problem: str  # ALTERED, REMOVED or INSERTED
    table: str
    detail: str
    event_id: str | None = None
    occurred_at: datetime | None = None
    last_seq: int | None = None  # for a removed run of events

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.last_seq in (None, self.seq) else f"seq {self.seq}..{self.last_seq}"
        what = [f"event {self.event_id}"] if self.event_id else []
        if self.occurred_at is not None:
            what.append(format_time(self.occurred_at))
        about = f" ({', '.join(what)})" if what else ""
        return f"writer {self.writer_id} {where}{about}: {self.problem} in {self.table}: {self.detail}"


@dataclass(slots=True)
class VerifyReport:
    writers: int = 0
    events: int = 0
    copies: int = 0
    checkpoints: int = 0
    expired: int = 0  # events accepted as gone through their TTL
    unchecked_tail: int = 0  # events after their writer's last checkpoint (chain links only)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def by_writer(self) -> dict[str, list[Finding]]:
        """Every broken chain, with its findings in sequence order."""
        grouped: dict[str, list[Finding]] = defaultdict(list)
        for finding in sorted(self.findings, key=lambda f: (f.writer_id, f.seq, f.table)):
            grouped[finding.writer_id].append(finding)
        return dict(grouped)

    @property
    def first(self) -> Finding | None:
        """The earliest finding: the first of each broken chain, then the earliest in time."""
        firsts = [found[0] for found in self.by_writer().values()]
        if not firsts:
            return None
        return min(firsts, key=lambda f: (f.occurred_at is None, f.occurred_at or datetime.min, f.writer_id))

    def summary(self) -> str:
        return (f"{self.events:,} events from {self.writers:,} writers, {self.copies:,} copies, "
                f"{self.checkpoints:,} checkpoints")


@dataclass(slots=True)
class _CopyRef:
    table: str
    hash: str
    event_id: str
    occurred_at: datetime
    matched: bool = False
    #: A copy of an event sealed with its record: its content and link, compared with the
    #: chain's row (its hash alone cannot be recomputed from one event).
    linked: tuple[AuditEvent, int | None, int | None] | None = None


async def verify(sink: AuditSink, *, writers: list[str] | None = None, ttl_s: int = 0,
                 now: datetime | None = None) -> VerifyReport:
    """Check every writer in ``sink`` (or only ``writers``); see the module docstring."""
    now = now or utc_now()
    report = VerifyReport()
    wanted = set(writers) if writers is not None else None
    copies = await _index_copies(sink, wanted, report)
    names = sorted(set(await sink.writers()) | {w for w, _ in copies}) if wanted is None else sorted(wanted)
    for writer_id in names:
        await _verify_writer(sink, writer_id, copies, report, ttl_s, now)
        report.writers += 1
    for (writer_id, seq), refs in copies.items():
        for ref in refs:
            if not ref.matched:
                report.findings.append(Finding(writer_id, seq, INSERTED, ref.table,
                                               "this copy has no event at its place in the chain",
                                               ref.event_id, ref.occurred_at))
    return report


async def _index_copies(sink: AuditSink, wanted: set[str] | None,
                        report: VerifyReport) -> dict[tuple[str, int], list[_CopyRef]]:
    copies: dict[tuple[str, int], list[_CopyRef]] = defaultdict(list)
    async for item in sink.copies():
        if wanted is not None and item_writer(item) not in wanted:
            continue
        report.copies += 1
        if isinstance(item, BrokenRow):
            report.findings.append(Finding(item.writer_id, item.seq, ALTERED, item.table,
                                           f"the row no longer reads as an event ({item.reason})", item.event_id))
            copies[(item.writer_id, item.seq)].append(_CopyRef(item.table, "", item.event_id or "", datetime.min, True))
            continue
        event = item.event
        if event.link_first is None and not content_matches(event):
            report.findings.append(_finding(event, ALTERED, item.table, "its content no longer matches its hash"))
        linked = None if event.link_first is None else (event.event, event.link_first, event.link_last)
        copies[(event.writer_id, event.seq)].append(
            _CopyRef(item.table, event.hash, str(event.event.event_id), event.event.occurred_at, linked=linked)
        )
    return copies


def item_writer(item: EventCopy | BrokenRow) -> str:
    return item.writer_id if isinstance(item, BrokenRow) else item.event.writer_id


def _finding(event: SealedEvent, problem: str, table: str, detail: str) -> Finding:
    return Finding(event.writer_id, event.seq, problem, table, detail, str(event.event.event_id),
                   event.event.occurred_at)


class _Chain:
    """What one writer's walk learns: stored hashes by seq, and where it stands."""

    def __init__(self) -> None:
        self.hashes: dict[int, str | None] = {}  # None: the row is there but unreadable
        self.events: dict[int, tuple[str, datetime]] = {}  # seq -> (event id, time), for naming
        self.link_starts: set[int] = set()  # seqs that start a link: one Merkle leaf each
        self.last_seq = 0
        self.known_end = 0  # the last seq a stored record says it reaches


class _Record:
    """The rows of one version-2 record met so far in the walk (their link is checked once all are in)."""

    def __init__(self, first: SealedEvent) -> None:
        self.first_seq = first.link_first
        self.last_seq = first.link_last
        self.events: list[SealedEvent] = []
        self.unreadable = False

    def takes(self, event: SealedEvent) -> bool:
        """Whether ``event`` is a later one of this record (rows between them gone are a gap:
        reported as removed, not as events of another record)."""
        return (event.link_first, event.link_last) == (self.first_seq, self.last_seq) \
            and self.events[-1].seq < event.seq <= self.last_seq

    def complete(self) -> bool:
        return (not self.unreadable and len(self.events) == self.last_seq - self.first_seq + 1
                and self.events[0].seq == self.first_seq)

    def missing(self) -> list[int]:
        return sorted(set(range(self.first_seq, self.last_seq + 1)) - {event.seq for event in self.events})


async def _verify_writer(sink: AuditSink, writer_id: str, copies: dict[tuple[str, int], list[_CopyRef]],
                         report: VerifyReport, ttl_s: int, now: datetime) -> None:
    findings = report.findings
    stored = await sink.checkpoints(writer_id)
    checkpoints = sorted((c for c in stored if isinstance(c, Checkpoint)), key=lambda c: c.first_seq)
    for broken in (c for c in stored if isinstance(c, BrokenRow)):
        findings.append(Finding(writer_id, broken.seq, ALTERED, broken.table,
                                f"the checkpoint no longer reads ({broken.reason})"))
    report.checkpoints += len(checkpoints)
    chain = _Chain()
    previous: SealedEvent | None = None
    previous_intact = True  # whether the link ``previous`` ends still matches its hash
    record: _Record | None = None  # the version-2 record being read
    torn: list[_Record] = []  # records some of whose places were not read as theirs
    table = sink.chain_table

    def close_record() -> bool:
        """Check the record read so far, if whole; True unless it no longer matches its hash."""
        nonlocal record
        done, record = record, None
        if done is None:
            return True
        if not done.complete():
            if not done.unreadable:
                torn.append(done)  # settled at the end, when every row has been read
            return True
        if record_matches(done.events):
            return True
        first = done.events[0]
        findings.append(Finding(writer_id, first.seq, ALTERED, table,
                                f"the events of its record (seq {done.first_seq}..{done.last_seq}) no longer match "
                                "the record's hash", str(first.event.event_id), first.event.occurred_at, done.last_seq))
        return False

    async for item in sink.chain(writer_id):
        if isinstance(item, BrokenRow):
            if record is not None:
                record.unreadable = True
            _gap(writer_id, chain.last_seq + 1, item.seq - 1, chain, checkpoints, copies, report, ttl_s, now, item.table)
            findings.append(Finding(writer_id, item.seq, ALTERED, item.table,
                                    f"the row no longer reads as an event ({item.reason})", item.event_id))
            _match_copies(copies, writer_id, item.seq, None, findings, item.table)
            chain.hashes[item.seq], chain.last_seq, previous = None, item.seq, None
            report.events += 1
            continue
        event = item
        report.events += 1
        gap_start = chain.last_seq + 1
        expired_prefix = _gap(writer_id, gap_start, event.seq - 1, chain, checkpoints, copies, report, ttl_s, now, table)
        if record is not None and record.takes(event):
            record.events.append(event)  # inside a record: its link is checked when the record is whole
        else:
            if record is not None:
                previous_intact = close_record()
            if event.link_first is None:
                intact = content_matches(event)
                if not intact:
                    findings.append(_finding(event, ALTERED, table, "its content no longer matches its hash"))
            else:
                record = _Record(event)
                record.events.append(event)
                chain.known_end = max(chain.known_end, event.link_last or 0)
            if event.link_first in (None, event.seq):  # a record read from its middle has no link to check
                chain.link_starts.add(event.seq)
                _check_link(event, previous, previous_intact, expired_prefix, copies, findings, table)
            if event.link_first is None:
                previous_intact = intact
        if record is not None and event.seq == record.last_seq:
            previous_intact = close_record()
        _match_copies(copies, writer_id, event.seq, event, findings, table)
        _expect_copies(sink, event, copies, findings, report, ttl_s, now)
        chain.hashes[event.seq] = event.hash
        chain.events[event.seq] = (str(event.event.event_id), event.event.occurred_at)
        chain.last_seq = event.seq
        previous = event
    close_record()
    for part in torn:  # places of a record held by rows that name another record (or none)
        foreign = [seq for seq in part.missing() if seq in chain.hashes]
        if foreign:
            first = part.events[0]
            findings.append(Finding(
                writer_id, first.seq, ALTERED, table,
                f"it names the record at seq {part.first_seq}..{part.last_seq}, but the events at seq "
                f"{', '.join(map(str, foreign[:5]))}{'...' if len(foreign) > 5 else ''} do not",
                str(first.event.event_id), first.event.occurred_at, part.last_seq))
    # The end of the chain: checkpoints, copies, or its last record may know of events after it.
    known_end = max([c.last_seq for c in checkpoints] + [seq for (w, seq) in copies if w == writer_id]
                    + [chain.known_end])
    if known_end > chain.last_seq:
        _gap(writer_id, chain.last_seq + 1, known_end, chain, checkpoints, copies, report, ttl_s, now, table)
    _check_checkpoints(writer_id, checkpoints, chain, report, ttl_s, now)
    covered = max((c.last_seq for c in checkpoints), default=0)
    report.unchecked_tail += sum(1 for seq in chain.hashes if seq > covered)


def _check_link(event: SealedEvent, previous: SealedEvent | None, previous_intact: bool,
                expired_prefix: Checkpoint | None, copies: dict[tuple[str, int], list[_CopyRef]],
                findings: list[Finding], table: str) -> None:
    """The link ``event`` starts: from the genesis hash, from the link before it, or from the
    checkpoint ending an expired prefix."""
    if event.seq == 1 and event.prev_hash != GENESIS:
        findings.append(_finding(event, INSERTED, table, "the first event of a chain must start from the genesis hash"))
    elif previous is not None and previous.seq == event.seq - 1 and event.prev_hash != previous.hash:
        if previous_intact and not _copies_vouch_for(copies, previous):
            # The predecessor's link hashes fine but is not what this event links to: it was
            # replaced with a recomputed hash. (When its copies agree with it, this event's link
            # is what changed, and its own copies say so.)
            findings.append(_finding(previous, ALTERED, table,
                                     f"its hash was recomputed after a change: seq {event.seq} links to "
                                     f"{event.prev_hash[:16]}..., the row's hash is {previous.hash[:16]}..."))
    elif expired_prefix is not None and expired_prefix.last_seq == event.seq - 1 \
            and event.prev_hash != expired_prefix.head_hash:
        findings.append(_finding(event, ALTERED, table, "it does not link to the checkpoint before it"))


def _copies_vouch_for(copies: dict[tuple[str, int], list[_CopyRef]], event: SealedEvent) -> bool:
    refs = [ref for ref in copies.get((event.writer_id, event.seq), []) if ref.hash]
    return bool(refs) and all(ref.hash == event.hash for ref in refs)


def _covering(checkpoints: list[Checkpoint], seq: int) -> Checkpoint | None:
    for checkpoint in checkpoints:
        if checkpoint.first_seq <= seq <= checkpoint.last_seq:
            return checkpoint
    return None


def _gap(writer_id: str, first: int, last: int, chain: _Chain, checkpoints: list[Checkpoint],
         copies: dict[tuple[str, int], list[_CopyRef]], report: VerifyReport, ttl_s: int, now: datetime,
         table: str) -> Checkpoint | None:
    """Report chain rows ``first..last`` missing, unless they are a prefix that expired.

    Returns the checkpoint ending the expired prefix when the gap is one (to check the link).
    """
    if last < first:
        return None
    if first == 1 and ttl_s > 0:
        holder = _covering(checkpoints, last)
        if holder is not None and holder.first_at + timedelta(seconds=ttl_s) <= now:
            report.expired += last - first + 1
            for seq in range(first, last + 1):
                for ref in copies.get((writer_id, seq), []):
                    ref.matched = True
            return holder if holder.last_seq == last else None
    known = [(seq, ref) for seq in range(first, last + 1) for ref in copies.get((writer_id, seq), [])[:1]]
    for seq in range(first, last + 1):
        for ref in copies.get((writer_id, seq), []):
            ref.matched = True
    if last == first:
        ref = known[0][1] if known else None
        detail = f"the row is gone{_still_in(copies, writer_id, first)}"
        report.findings.append(Finding(writer_id, first, REMOVED, table, detail,
                                       ref.event_id if ref else None, ref.occurred_at if ref else None))
    else:
        ids = ", ".join(f"seq {seq}: {ref.event_id}" for seq, ref in known[:5])
        detail = f"{last - first + 1} rows are gone" + (f"; copies remain of {ids}" if ids else "")
        ref = known[0][1] if known and known[0][0] == first else None
        report.findings.append(Finding(writer_id, first, REMOVED, table, detail,
                                       ref.event_id if ref else None, ref.occurred_at if ref else None, last))
    return None


def _still_in(copies: dict[tuple[str, int], list[_CopyRef]], writer_id: str, seq: int) -> str:
    tables = sorted({ref.table for ref in copies.get((writer_id, seq), [])})
    return f" (a copy remains in {', '.join(tables)})" if tables else ""


def _match_copies(copies: dict[tuple[str, int], list[_CopyRef]], writer_id: str, seq: int,
                  event: SealedEvent | None, findings: list[Finding], chain_table: str) -> None:
    for ref in copies.get((writer_id, seq), []):
        ref.matched = True
        if event is not None and ref.hash and ref.hash != event.hash:
            findings.append(_finding(event, ALTERED, ref.table,
                                     f"this copy differs from the event in {chain_table} (hash {ref.hash[:16]}... "
                                     f"vs {event.hash[:16]}...)"))
        elif event is not None and ref.linked is not None and ref.linked != (event.event, event.link_first,
                                                                               event.link_last):
            findings.append(_finding(event, ALTERED, ref.table, f"this copy differs from the event in {chain_table}"))


def _expect_copies(sink: AuditSink, event: SealedEvent, copies: dict[tuple[str, int], list[_CopyRef]],
                   findings: list[Finding], report: VerifyReport, ttl_s: int, now: datetime) -> None:
    present = {ref.table for ref in copies.get((event.writer_id, event.seq), [])}
    for table in sink.copy_tables_for(event.event):
        if table in present:
            continue
        if ttl_s > 0 and event.event.occurred_at + timedelta(seconds=ttl_s) <= now:
            report.expired += 1
            continue
        findings.append(_finding(event, REMOVED, table, "the copy of this event is gone"))


def _check_checkpoints(writer_id: str, checkpoints: list[Checkpoint], chain: _Chain, report: VerifyReport,
                       ttl_s: int, now: datetime) -> None:
    findings = report.findings
    expected_first = 1
    for checkpoint in checkpoints:
        if checkpoint.first_seq > expected_first:
            expired = (expected_first == 1 and ttl_s > 0)
            if not expired:
                findings.append(Finding(writer_id, expected_first, REMOVED, "checkpoints",
                                        f"no checkpoint covers seq {expected_first}..{checkpoint.first_seq - 1}",
                                        last_seq=checkpoint.first_seq - 1))
        elif checkpoint.first_seq < expected_first:
            findings.append(Finding(writer_id, checkpoint.first_seq, INSERTED, "checkpoints",
                                    f"checkpoint {checkpoint.first_seq}..{checkpoint.last_seq} overlaps the one before it"))
        expected_first = checkpoint.last_seq + 1
        seqs = range(checkpoint.first_seq, checkpoint.last_seq + 1)
        hashes = [chain.hashes.get(seq) for seq in seqs]
        if any(h is None for h in hashes):
            continue  # missing or unreadable rows are reported already; the root cannot be recomputed
        root = merkle_root([h for seq, h in zip(seqs, hashes) if h is not None and seq in chain.link_starts])
        explained = any(f.writer_id == writer_id and f.table != "checkpoints"
                        and checkpoint.first_seq <= f.seq <= checkpoint.last_seq for f in findings)
        if (root != checkpoint.merkle_root or hashes[-1] != checkpoint.head_hash) and not explained:
            event_id, at = chain.events.get(checkpoint.first_seq, (None, None))
            findings.append(Finding(
                writer_id, checkpoint.first_seq, ALTERED, "checkpoints",
                f"the events {checkpoint.first_seq}..{checkpoint.last_seq} no longer have the Merkle root their "
                f"checkpoint recorded (a row was rewritten with a recomputed hash, or the checkpoint was edited)",
                event_id, at, checkpoint.last_seq,
            ))
