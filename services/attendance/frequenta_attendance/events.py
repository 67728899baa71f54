"""Domain events as ``frequenta.events.v1.EventEnvelope``, built from the domain objects a use
case just changed. The use cases hand them to ``uow.outbox.add`` and never touch protobuf.

Each envelope has a fresh event id, the event type (also the AMQP routing key), the business
instant the change happened at (entry, exit, enrollment or cancellation, which may lie in the
past for imports), the schema version, the member, and the id of the request that caused it
when there is one (a REST or gRPC call; for a bulk import's rows, the upload's). Events carry
no contact data (e-mail, phone, birth date) and no names: consumers that need them ask
attendance.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Protocol

from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.events.v1 import events_pb2 as ev
from frequenta_attendance.domain.enums import CheckInSource
from frequenta_attendance.models import Member, Visit
from frequenta_kit import request_ids

SCHEMA_VERSION = 1

MEMBER_REGISTERED = "member.registered"
CHECKIN_RECORDED = "checkin.recorded"
CHECKOUT_RECORDED = "checkout.recorded"
MEMBERSHIP_CANCELLED = "membership.cancelled"

CHECKINS_IMPORTED = "checkins.imported"
MEMBER_PERSONAL_DATA_ERASED = "member.personal_data_erased"

EVENT_TYPES = (
    MEMBER_REGISTERED,
    CHECKIN_RECORDED,
    CHECKOUT_RECORDED,
    MEMBERSHIP_CANCELLED,
    CHECKINS_IMPORTED,
    MEMBER_PERSONAL_DATA_ERASED,
)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _timestamp(value: datetime) -> Timestamp:
    """Exact integer arithmetic: Timestamp.FromDatetime does the same, several times slower
    (it shows in bulk imports, one event per member per chunk). Naive instants are UTC."""
    elapsed = (value if value.tzinfo else value.replace(tzinfo=UTC)) - _EPOCH
    return Timestamp(
        seconds=elapsed.days * 86_400 + elapsed.seconds, nanos=elapsed.microseconds * 1000
    )


def _envelope(event_type: str, member_id: int, occurred_at: datetime) -> ev.EventEnvelope:
    return ev.EventEnvelope(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        occurred_at=_timestamp(occurred_at),
        schema_version=SCHEMA_VERSION,
        member_id=member_id,
        request_id=request_ids.current() or "",
    )


def member_registered(member: Member) -> ev.EventEnvelope:
    envelope = _envelope(MEMBER_REGISTERED, member.id, member.enrolled_at)
    envelope.member_registered.CopyFrom(
        ev.MemberRegistered(
            member_id=member.id,
            plan_id=member.plan.id,
            plan_code=member.plan.code,
            plan_duration_months=member.plan.duration_months,
            enrolled_at=_timestamp(member.enrolled_at),
        )
    )
    return envelope


class RecordedVisit(Protocol):
    """What a check-in event tells of a visit (a stored Visit, or a row a bulk import stored)."""

    @property
    def id(self) -> int: ...
    @property
    def member_id(self) -> int: ...
    @property
    def entered_at(self) -> datetime: ...
    @property
    def exited_at(self) -> datetime | None: ...
    @property
    def source(self) -> CheckInSource: ...
    @property
    def device_id(self) -> str | None: ...


def _check_in(visit: RecordedVisit) -> ev.CheckInRecorded:
    recorded = ev.CheckInRecorded(
        visit_id=visit.id,
        member_id=visit.member_id,
        entered_at=_timestamp(visit.entered_at),
        source=visit.source.name.lower(),
        device_id=visit.device_id or "",
    )
    if visit.exited_at is not None:
        recorded.exited_at.CopyFrom(_timestamp(visit.exited_at))
    return recorded


def check_in_recorded(visit: Visit) -> ev.EventEnvelope:
    """A new visit; an import that gave the exit with the entry reports both in this event."""
    envelope = _envelope(CHECKIN_RECORDED, visit.member_id, visit.entered_at)
    envelope.check_in_recorded.CopyFrom(_check_in(visit))
    return envelope


def check_out_recorded(visit: Visit) -> ev.EventEnvelope:
    if visit.exited_at is None or visit.duration_minutes is None:
        raise ValueError(f"visit {visit.id} has no exit: nothing was checked out")
    envelope = _envelope(CHECKOUT_RECORDED, visit.member_id, visit.exited_at)
    envelope.check_out_recorded.CopyFrom(
        ev.CheckOutRecorded(
            visit_id=visit.id,
            member_id=visit.member_id,
            entered_at=_timestamp(visit.entered_at),
            exited_at=_timestamp(visit.exited_at),
            duration_minutes=visit.duration_minutes,
        )
    )
    return envelope


def membership_cancelled(member: Member) -> ev.EventEnvelope:
    if member.cancelled_at is None or member.cancellation_reason is None:
        raise ValueError(f"member {member.id} is not cancelled")
    envelope = _envelope(MEMBERSHIP_CANCELLED, member.id, member.cancelled_at)
    envelope.membership_cancelled.CopyFrom(
        ev.MembershipCancelled(
            member_id=member.id,
            cancelled_at=_timestamp(member.cancelled_at),
            reason=member.cancellation_reason.name.lower(),
        )
    )
    return envelope


def member_personal_data_erased(member: Member) -> ev.EventEnvelope:
    """The member's personal data was erased: the event names the member and the instant,
    nothing else (docs/personal-data.md)."""
    if member.personal_data_erased_at is None:
        raise ValueError(f"member {member.id}'s personal data was not erased")
    envelope = _envelope(MEMBER_PERSONAL_DATA_ERASED, member.id, member.personal_data_erased_at)
    envelope.member_personal_data_erased.CopyFrom(
        ev.MemberPersonalDataErased(
            member_id=member.id, erased_at=_timestamp(member.personal_data_erased_at)
        )
    )
    return envelope


def checkins_imported(
    member_id: int, visits: Sequence[RecordedVisit], job_id: uuid.UUID
) -> ev.EventEnvelope:
    """The visits of one member that one chunk of a bulk import stored, in entry order; the
    event's instant is the latest of their entries."""
    if not visits or any(visit.member_id != member_id for visit in visits):
        raise ValueError(f"an import event needs visits of member {member_id} only")
    ordered = sorted(visits, key=lambda visit: visit.entered_at)
    envelope = _envelope(CHECKINS_IMPORTED, member_id, ordered[-1].entered_at)
    envelope.check_ins_imported.CopyFrom(
        ev.CheckInsImported(
            member_id=member_id,
            visits=[_check_in(visit) for visit in ordered],
            job_id=str(job_id),
        )
    )
    return envelope


# A visit a bulk import stored, as the worker holds it: (id, entry, exit or None, device or
# None), instants in whole microseconds since 1970-01-01T00:00Z. A plain tuple: a chunk makes
# thousands.
ImportedVisit = tuple[int, int, int | None, str | None]
_BY_ENTRY = itemgetter(1)


def visits_imported(
    member_id: int, visits: list[ImportedVisit], source: CheckInSource, job_id: uuid.UUID
) -> ev.EventEnvelope:
    """``checkins_imported`` for visits of ``member_id`` given in microseconds: the same event,
    built without a datetime or a Timestamp object per visit. Sorts ``visits`` in place."""
    if not visits:
        raise ValueError(f"an import event needs visits of member {member_id}")
    visits.sort(key=_BY_ENTRY)
    latest = visits[-1][1]
    envelope = ev.EventEnvelope(
        event_id=str(uuid.uuid4()),
        event_type=CHECKINS_IMPORTED,
        schema_version=SCHEMA_VERSION,
        member_id=member_id,
        request_id=request_ids.current() or "",
    )
    envelope.occurred_at.seconds, micros = divmod(latest, 1_000_000)
    envelope.occurred_at.nanos = micros * 1000
    imported = envelope.check_ins_imported
    imported.member_id = member_id
    imported.job_id = str(job_id)
    add = imported.visits.add
    source_name = source.name.lower()
    for visit_id, entered_us, exited_us, device_id in visits:
        recorded = add(
            visit_id=visit_id,
            member_id=member_id,
            source=source_name,
            device_id=device_id or "",
        )
        stamp = recorded.entered_at
        stamp.seconds, micros = divmod(entered_us, 1_000_000)
        stamp.nanos = micros * 1000
        if exited_us is not None:
            stamp = recorded.exited_at
            stamp.seconds, micros = divmod(exited_us, 1_000_000)
            stamp.nanos = micros * 1000
    return envelope
