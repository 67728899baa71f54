"""What an event, or an exported row, tells the projection: facts about members and visits,
each field None when that source does not know it. Pure: no database, no broker.

Facts only ever add knowledge. Merging two facts about the same member or visit keeps every
known value (a later known value wins over an earlier one, an unknown value never erases a known
one), so applying the same facts in any order, any number of times, gives the same rows: the
live stream and a rebuild from the exports commute.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.events.v1 import events_pb2 as ev

SCHEMA_VERSION = 1
MEMBER_REGISTERED = "member.registered"
CHECKIN_RECORDED = "checkin.recorded"
CHECKOUT_RECORDED = "checkout.recorded"
MEMBERSHIP_CANCELLED = "membership.cancelled"
CHECKINS_IMPORTED = "checkins.imported"
MEMBER_PERSONAL_DATA_ERASED = "member.personal_data_erased"
# The event types the projection consumes (its queue's bindings), with their payload field.
PAYLOADS = {
    MEMBER_REGISTERED: "member_registered",
    CHECKIN_RECORDED: "check_in_recorded",
    CHECKOUT_RECORDED: "check_out_recorded",
    MEMBERSHIP_CANCELLED: "membership_cancelled",
    CHECKINS_IMPORTED: "check_ins_imported",
    MEMBER_PERSONAL_DATA_ERASED: "member_personal_data_erased",
}
EVENT_TYPES = tuple(PAYLOADS)
_REASON_PREFIX = "CANCELLATION_REASON_"


class MalformedEvent(ValueError):
    """The event can never be applied: unreadable, inconsistent or of an unknown version."""


@dataclass(frozen=True)
class MemberFacts:
    member_id: int
    plan_code: str | None = None
    plan_duration_months: int | None = None
    enrolled_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancellation_reason: str | None = None


@dataclass(frozen=True)
class VisitFacts:
    visit_id: int
    member_id: int
    entered_at: datetime
    exited_at: datetime | None = None


@dataclass(frozen=True)
class Change:
    """Everything one event tells."""

    members: tuple[MemberFacts, ...] = ()
    visits: tuple[VisitFacts, ...] = ()


@dataclass(frozen=True)
class ProjectionEvent:
    event_id: uuid.UUID
    event_type: str
    member_id: int
    change: Change


F = TypeVar("F", MemberFacts, VisitFacts)


def merge(older: F, newer: F) -> F:
    """Both facts about one member (or visit) as one: newer known values win, None never does."""
    values: dict[str, Any] = {
        name: newer_value if newer_value is not None else getattr(older, name)
        for name, newer_value in vars(newer).items()
    }
    return type(newer)(**values)


def _instant(message: Any, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    stamp: Timestamp = getattr(message, field)
    return stamp.ToDatetime(tzinfo=UTC)


def _required(message: Any, field: str, what: str) -> datetime:
    value = _instant(message, field)
    if value is None:
        raise MalformedEvent(f"{what}: {field} is missing")
    return value


def _visit(recorded: ev.CheckInRecorded | ev.CheckOutRecorded, member_id: int) -> VisitFacts:
    what = f"visit {recorded.visit_id}"
    if recorded.visit_id <= 0:
        raise MalformedEvent(f"visit_id {recorded.visit_id} is not an id")
    if recorded.member_id != member_id:
        raise MalformedEvent(f"{what} is of member {recorded.member_id}, the event of {member_id}")
    entered = _required(recorded, "entered_at", what)
    exited = _instant(recorded, "exited_at")
    if exited is not None and exited <= entered:
        raise MalformedEvent(f"{what}: exited_at {exited} is not after entered_at {entered}")
    return VisitFacts(recorded.visit_id, member_id, entered, exited)


def _change(envelope: ev.EventEnvelope) -> Change:
    member_id = envelope.member_id
    kind = envelope.WhichOneof("payload")
    if kind == "member_registered":
        registered = envelope.member_registered
        if registered.member_id != member_id:
            raise MalformedEvent(f"payload member {registered.member_id} is not {member_id}")
        if not registered.plan_code.strip() or registered.plan_duration_months < 1:
            raise MalformedEvent(f"member {member_id}: no plan code or plan duration")
        return Change(
            members=(
                MemberFacts(
                    member_id,
                    plan_code=registered.plan_code,
                    plan_duration_months=registered.plan_duration_months,
                    enrolled_at=_required(registered, "enrolled_at", f"member {member_id}"),
                ),
            )
        )
    if kind == "membership_cancelled":
        cancelled = envelope.membership_cancelled
        if cancelled.member_id != member_id:
            raise MalformedEvent(f"payload member {cancelled.member_id} is not {member_id}")
        return Change(
            members=(
                MemberFacts(
                    member_id,
                    cancelled_at=_required(cancelled, "cancelled_at", f"member {member_id}"),
                    cancellation_reason=cancelled.reason.strip().lower()[:40] or None,
                ),
            )
        )
    if kind == "member_personal_data_erased":
        erased = envelope.member_personal_data_erased
        if erased.member_id != member_id:
            raise MalformedEvent(f"payload member {erased.member_id} is not {member_id}")
        # The projection keeps no personal data (ids, plan, dates and visits only), so there is
        # nothing to drop: applying it records the event in the inbox (docs/personal-data.md).
        return Change()
    if kind == "check_in_recorded":
        return Change(visits=(_visit(envelope.check_in_recorded, member_id),))
    if kind == "check_out_recorded":
        visit = _visit(envelope.check_out_recorded, member_id)
        if visit.exited_at is None:
            raise MalformedEvent(f"visit {visit.visit_id}: a check-out without exited_at")
        return Change(visits=(visit,))
    imported = envelope.check_ins_imported
    if imported.member_id != member_id:
        raise MalformedEvent(f"payload member {imported.member_id} is not {member_id}")
    if not imported.visits:
        raise MalformedEvent("an import event without visits")
    return Change(visits=tuple(_visit(visit, member_id) for visit in imported.visits))


def decode_event(body: bytes) -> ProjectionEvent | None:
    """The projection event in an AMQP body; None for an event type the projection does not
    use (nothing to apply). MalformedEvent when it can never be applied."""
    try:
        envelope = ev.EventEnvelope.FromString(body)
    except DecodeError as error:
        raise MalformedEvent(f"not an EventEnvelope: {error}") from None
    try:
        event_id = uuid.UUID(envelope.event_id)
    except ValueError:
        raise MalformedEvent(f"event_id {envelope.event_id!r} is not a UUID") from None
    payload = PAYLOADS.get(envelope.event_type)
    if payload is None:
        return None
    if envelope.schema_version != SCHEMA_VERSION:
        raise MalformedEvent(
            f"schema_version {envelope.schema_version} of {envelope.event_type} is not "
            f"{SCHEMA_VERSION}: upgrade churn, then move the dead letter back"
        )
    if envelope.member_id <= 0:
        raise MalformedEvent(f"member_id {envelope.member_id} is not an id")
    if envelope.WhichOneof("payload") != payload:
        raise MalformedEvent(
            f"a {envelope.event_type} event carries {envelope.WhichOneof('payload') or 'no'} "
            f"payload, not {payload}"
        )
    return ProjectionEvent(event_id, envelope.event_type, envelope.member_id, _change(envelope))


def exported_member(member: pb.ExportedMember) -> MemberFacts:
    """An ExportedMember as facts (the reason as the events spell it: "price", "no_time"...)."""
    reason = None
    if member.cancellation_reason != pb.CANCELLATION_REASON_UNSPECIFIED:
        name = pb.CancellationReason.Name(member.cancellation_reason)
        reason = name.removeprefix(_REASON_PREFIX).lower()
    enrolled = _instant(member, "enrolled_at")
    # The plan and the enrollment are known together or not at all.
    registered = bool(member.plan_code) and member.plan_duration_months > 0 and enrolled is not None
    return MemberFacts(
        member.member_id,
        plan_code=member.plan_code if registered else None,
        plan_duration_months=member.plan_duration_months if registered else None,
        enrolled_at=enrolled if registered else None,
        cancelled_at=_instant(member, "cancelled_at"),
        cancellation_reason=reason,
    )


def exported_visit(visit: pb.Visit) -> VisitFacts:
    entered = _instant(visit, "entered_at")
    if entered is None:
        raise ValueError(f"exported visit {visit.id} has no entered_at")
    return VisitFacts(visit.id, visit.member_id, entered, _instant(visit, "exited_at"))
