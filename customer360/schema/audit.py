"""Reading the audit record over GraphQL: ``auditTrail`` (everything about one customer) and
``accessLog`` (everything one principal did), for roles that read the audit record.

The record itself is written by :class:`~customer360.schema.audit_reads.AuditReads`; the
events come from the sink (the embedded SQLite file or Cassandra) through the app's
:class:`~customer360.audit.pipeline.AuditPipeline`. Both fields are Relay connections, newest
first; their cursors are the service's own (``resolvers/cursors.py``), so the same checks
guard them as every other cursor.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from customer360.audit.events import SealedEvent, epoch_millis, from_epoch_millis
from customer360.audit.paging import MAX_PAGE, AuditPage, Cursor, InvalidPageRequest
from customer360.audit.pipeline import AuditPipeline
from customer360.audit.protocol import AuditUnavailable
from customer360.auth.access import FieldDenied
from customer360.graphstore.plan import Keyset
from customer360.resolvers.context import RequestContext
from customer360.resolvers.cursors import decode_cursor
from customer360.resolvers.errors import UserError
from customer360.resolvers.paging import ConnectionData, EdgeData
from customer360.schema.relay import Connection, connection_of

ORDERING = "audit:newest"
DEFAULT_FIRST = 20


@strawberry.enum(description="What an audit event records.")
class AuditEventKind(Enum):
    READ = strawberry.enum_value("read", description="A response held this customer's data.")
    LOAD = strawberry.enum_value("load", description="A `c360 load` wrote data into the store.")


@strawberry.enum(description="How much of what was asked for went out (or went in, for a load).")
class AuditOutcome(Enum):
    COMPLETE = strawberry.enum_value("complete", description="Everything asked for.")
    PARTIAL = strawberry.enum_value("partial", description=(
        "Some fields were refused or failed (their errors are in the response); the rest went out."
    ))
    REFUSED = strawberry.enum_value("refused", description="Nothing went out (or nothing was loaded).")


@strawberry.type(description="One input file of a load.")
class AuditLoadedFile:
    name: str = strawberry.field(description="The file's name in the loaded folder.")
    sha256: str = strawberry.field(description="SHA-256 of the file's bytes, before the load read them.")
    rows: int = strawberry.field(description="Data rows in the file.")


@strawberry.type(description=(
    "One access on the audit record: who read (or loaded) which customer's fields, when, for what "
    "purpose, with what outcome; hash-chained so that changes to the record can be found."
))
class AuditEvent:
    event_id: strawberry.ID = strawberry.field(description="A time-ordered id (UUIDv7) made by the service.")
    kind: AuditEventKind = strawberry.field(description="A read of customer data, or a load.")
    occurred_at: datetime = strawberry.field(description="When, in UTC, to the millisecond.")
    principal: str = strawberry.field(description="Who: the authenticated principal's name.")
    roles: list[str] = strawberry.field(description="The principal's roles at the time.")
    purpose: str | None = strawberry.field(description="The declared purpose of access (X-Purpose-Of-Access).")
    customer_id: strawberry.ID | None = strawberry.field(description="Whose data it was (reads).")
    fields_clear: list[str] = strawberry.field(description=(
        "Response paths relative to the customer that went out in clear, e.g. 'ssn', 'accounts.balance'."
    ))
    fields_masked: list[str] = strawberry.field(description="Response paths that went out masked.")
    operation_name: str | None = strawberry.field(description="The GraphQL operation's name, if it had one.")
    document_hash: str | None = strawberry.field(description="SHA-256 of the GraphQL document (the text is not kept).")
    request_id: str | None = strawberry.field(description="The request's id (X-Request-Id, or one the service made).")
    client_address: str | None = strawberry.field(description="The client's network address.")
    outcome: AuditOutcome = strawberry.field(description="Complete, partial or refused.")
    files: list[AuditLoadedFile] = strawberry.field(description="For a load: the files, with their hashes and rows.")
    rows: int | None = strawberry.field(description="For a load: the records written.")
    writer_id: str = strawberry.field(description="The writer (service process or CLI) whose hash chain holds the event.")
    seq: int = strawberry.field(description="The event's place in its writer's chain.")
    hash: str = strawberry.field(description=(
        "SHA-256 over the writer, the previous hash and the events of the event's record (the response or "
        "load it belongs to, sealed together at linkFirst..linkLast); for an event sealed alone by an "
        "earlier version, over the writer, seq, the previous hash and the event."
    ))
    link_first: int | None = strawberry.field(description="The first place of the event's record in the chain.")
    link_last: int | None = strawberry.field(description="The last place of the event's record in the chain.")

    @classmethod
    def of(cls, sealed: SealedEvent) -> "AuditEvent":
        event = sealed.event
        return cls(
            event_id=strawberry.ID(str(event.event_id)), kind=AuditEventKind(event.kind.value),
            occurred_at=event.occurred_at, principal=event.principal, roles=list(event.roles), purpose=event.purpose,
            customer_id=strawberry.ID(event.customer_id) if event.customer_id else None,
            fields_clear=list(event.fields_clear), fields_masked=list(event.fields_masked),
            operation_name=event.operation_name, document_hash=event.document_hash, request_id=event.request_id,
            client_address=event.client_address, outcome=AuditOutcome(event.outcome.value),
            files=[AuditLoadedFile(name=f.name, sha256=f.sha256, rows=f.rows) for f in event.files], rows=event.rows,
            writer_id=sealed.writer_id, seq=sealed.seq, hash=sealed.hash, link_first=sealed.link_first,
            link_last=sealed.link_last,
        )


def _record_cursor(field: str, after: str | None) -> str | None:
    """The record's own cursor for a GraphQL cursor of this field (errors name the argument)."""
    keyset = decode_cursor(field, ORDERING, after)
    if keyset is None:
        return None
    try:
        return Cursor(from_epoch_millis(keyset.value), uuid.UUID(hex=keyset.key)).encode()
    except (ValueError, OverflowError, OSError):
        raise UserError(f"{field}: argument 'after' is not a cursor returned by this field") from None


def _connection(page: AuditPage, after: str | None) -> Connection[AuditEvent]:
    """The page as the shared Relay connection (``AuditEventConnection``); no total is counted."""
    edges = [
        EdgeData(ORDERING, Keyset(epoch_millis(sealed.event.occurred_at), sealed.event.event_id.hex), sealed)
        for sealed in page.events
    ]
    return connection_of(ConnectionData(edges, page.has_next, after is not None, None), AuditEvent.of)


def _reader(info: Info, field: str) -> AuditPipeline:
    """The app's audit pipeline, for a caller whose roles read the audit record."""
    ctx: RequestContext = info.context
    if not ctx.access.grants.reads_audit_record:
        raise FieldDenied(f"{field}: the audit record is for roles that read it (auditor); "
                          f"{ctx.access.principal.name} has roles {', '.join(ctx.access.principal.roles) or 'none'}")
    if ctx.audit is None:
        raise UserError(f"{field}: this service has no audit record configured")
    return ctx.audit


First = Annotated[int, strawberry.argument(description=f"Events per page (default {DEFAULT_FIRST}, at most {MAX_PAGE}).")]
Since = Annotated[datetime | None, strawberry.argument(description="Only events at or after this time (UTC).")]
Until = Annotated[datetime | None, strawberry.argument(description="Only events before this time (UTC).")]
After = Annotated[str | None, strawberry.argument(description="Start after this cursor (pageInfo.endCursor).")]


async def _page(field: str, read: Callable[..., Awaitable[AuditPage]], key: str, first: int,
                since: datetime | None, until: datetime | None, after: str | None) -> Connection[AuditEvent]:
    try:
        page = await read(key, first=first, since=since, until=until, after=_record_cursor(field, after))
    except InvalidPageRequest as error:
        raise UserError(f"{field}: {error}") from None
    except AuditUnavailable as error:
        raise UserError(f"{field}: the audit record cannot be read right now ({error}); retry later") from None
    return _connection(page, after)


@strawberry.type
class AuditQuery:
    @strawberry.field(description=(
        "Every access to one customer's data on the audit record, newest first (auditor role). For a "
        "data-subject access request, `c360 audit export --customer ID` writes the same as a file."
    ))
    async def audit_trail(
        self, info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer, e.g. P0000001.")],
        since: Since = None, until: Until = None, first: First = DEFAULT_FIRST, after: After = None,
    ) -> Connection[AuditEvent]:
        audit = _reader(info, "auditTrail")
        return await _page("auditTrail", audit.audit_trail, customer_id, first, since, until, after)

    @strawberry.field(description="Everything one principal read or loaded, newest first (auditor role).")
    async def access_log(
        self, info: Info,
        principal: Annotated[str, strawberry.argument(description="The principal's name, as events record it.")],
        since: Since = None, until: Until = None, first: First = DEFAULT_FIRST, after: After = None,
    ) -> Connection[AuditEvent]:
        audit = _reader(info, "accessLog")
        return await _page("accessLog", audit.access_log, principal, first, since, until, after)
