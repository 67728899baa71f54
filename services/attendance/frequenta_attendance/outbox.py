"""The transactional outbox, writing side: ``uow.outbox`` adds rows to the session of the unit
of work, so they commit (or roll back) with the change that caused them. The relay
(``frequenta_attendance.relay``) publishes them later.

    async with uow:
        ...  # change the state
        uow.outbox.add(events.check_out_recorded(visit))         # a domain event
        uow.outbox.add_work("bulk-checkins", body, message_id)   # a job for a work queue
        await uow.commit()

A check-in writes its event's row within the visit's own INSERT instead
(``VisitRepository.add``, with the row's values from :meth:`OutboxRepository.event_row`).

The repository also remembers which members the events of its transaction are about (and
whether the at-risk list changed: a cancellation, an erasure of personal data): the unit of
work bumps their cache versions once it committed (frequenta_kit.cache_versions,
docs/cache.md). Every change of a member writes an event, so no
change is left out of the cache's invalidation.

Events of one member must be added while holding that member's row lock (every use case that
changes a member takes it first): their outbox ids then follow their commit order, which is the
order the relay publishes them in.
"""

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta.events.v1 import events_pb2 as ev
from frequenta_attendance.events import MEMBER_PERSONAL_DATA_ERASED, MEMBERSHIP_CANCELLED
from frequenta_attendance.models import OutboxMessage
from frequenta_kit import request_ids

# Values of outbox.exchange: the relay maps them to the namespaced exchanges of the Topology.
EVENTS = "events"
WORK = "work"
# The trigger on outbox inserts notifies this channel at commit (see the migrations).
NOTIFY_CHANNEL = "frequenta_outbox"
PROTOBUF = "application/x-protobuf"

# A work queue's name without the namespace, e.g. "bulk-checkins" or "reports.daily".
_QUEUE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Events that change the at-risk list beyond the member's own answers: a member leaves it, a
# name in it is replaced.
_RISK_LIST_EVENTS = (MEMBERSHIP_CANCELLED, MEMBER_PERSONAL_DATA_ERASED)


def _event_values(envelope: ev.EventEnvelope) -> dict[str, Any]:
    """The outbox row of an event: on the events exchange, its type as routing key."""
    if not envelope.event_id or not envelope.event_type or not envelope.member_id:
        raise ValueError("an event needs its id, type and member")
    return {
        "message_id": uuid.UUID(envelope.event_id),
        "message_type": envelope.event_type,
        "exchange": EVENTS,
        "routing_key": envelope.event_type,
        "aggregate_id": envelope.member_id,
        "content_type": PROTOBUF,
        "headers": _with_request_id(
            {"schema_version": envelope.schema_version}, envelope.request_id
        ),
        "payload": envelope.SerializeToString(),
        "occurred_at": _EPOCH
        + timedelta(
            seconds=envelope.occurred_at.seconds, microseconds=envelope.occurred_at.nanos // 1000
        ),
    }


def _with_request_id(headers: dict[str, Any], request_id: str | None) -> dict[str, Any]:
    """The AMQP headers plus ``x-request-id``: consumers log with it, and what they write carries
    it on (a bulk import's chunks give it to their events)."""
    if request_id:
        headers[request_ids.METADATA_KEY] = request_id
    return headers


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Members the events of this transaction are about, and whether the at-risk list
        # changed too (it leaves out cancelled members and shows names).
        self.changed_members: set[int] = set()
        self.risk_list_changed = False

    def _note(self, envelope: ev.EventEnvelope) -> None:
        self.changed_members.add(envelope.member_id)
        self.risk_list_changed |= envelope.event_type in _RISK_LIST_EVENTS

    def add(self, envelope: ev.EventEnvelope) -> OutboxMessage:
        """Publish ``envelope`` on the events exchange, its type as routing key."""
        row = OutboxMessage(**_event_values(envelope))
        self._session.add(row)
        self._note(envelope)
        return row

    def event_row(self, envelope: ev.EventEnvelope) -> dict[str, Any]:
        """``add`` as the values of the row, for a repository that inserts it within a
        statement of its own (a check-in's visit and event, ``VisitRepository.add``); noted
        as ``add`` notes it. The row is stored only if the caller inserts it."""
        values = _event_values(envelope)
        self._note(envelope)
        return values

    async def add_many(self, envelopes: Sequence[ev.EventEnvelope]) -> None:
        """``add`` for many events at once: one multi-row INSERT, now (bulk imports), instead
        of one ORM object each at the next flush."""
        if envelopes:
            await self._session.execute(
                insert(OutboxMessage), [_event_values(envelope) for envelope in envelopes]
            )
            for envelope in envelopes:
                self._note(envelope)

    def add_work(
        self,
        queue: str,
        body: bytes,
        message_id: uuid.UUID,
        *,
        message_type: str | None = None,
        content_type: str = PROTOBUF,
        headers: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
    ) -> OutboxMessage:
        """Send ``body`` to the work queue ``queue`` (its name without the namespace) once this
        transaction commits. ``message_id`` is the consumers' idempotency key; ``message_type``
        defaults to the queue's name, ``occurred_at`` to the transaction's start."""
        if not _QUEUE_NAME.match(queue):
            raise ValueError(f"{queue!r} is not a work queue name (lowercase, digits, _ . -)")
        row = OutboxMessage(
            message_id=message_id,
            message_type=message_type or queue,
            exchange=WORK,
            routing_key=queue,
            aggregate_id=None,
            content_type=content_type,
            headers=_with_request_id(dict(headers or {}), request_ids.current()),
            payload=body,
            occurred_at=occurred_at or func.now(),
        )
        self._session.add(row)
        return row
