"""What each of attendance's events, and each exported row, tells churn's projection; the events
that can never be applied; merging facts in any order."""

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.events.v1 import events_pb2 as ev
from frequenta_churn.projection.facts import (
    EVENT_TYPES,
    Change,
    MalformedEvent,
    MemberFacts,
    VisitFacts,
    decode_event,
    exported_member,
    exported_visit,
    merge,
)

ENROLLED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ENTRY = datetime(2025, 6, 2, 7, 30, 15, 123456, tzinfo=UTC)
EXIT = ENTRY + timedelta(minutes=75)


def ts(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def envelope(event_type: str, member_id: int = 7, **payload: object) -> ev.EventEnvelope:
    fields: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": ts(ENTRY),
        "schema_version": 1,
        **payload,
    }
    return ev.EventEnvelope(event_type=event_type, member_id=member_id, **fields)  # type: ignore[arg-type]


def registered(member_id: int = 7) -> ev.EventEnvelope:
    return envelope(
        "member.registered",
        member_id,
        member_registered=ev.MemberRegistered(
            member_id=member_id,
            plan_id=3,
            plan_code="trimestral",
            plan_duration_months=3,
            enrolled_at=ts(ENROLLED),
        ),
    )


def check_in(visit_id: int = 11, exited: datetime | None = None) -> ev.CheckInRecorded:
    recorded = ev.CheckInRecorded(
        visit_id=visit_id, member_id=7, entered_at=ts(ENTRY), source="turnstile"
    )
    if exited is not None:
        recorded.exited_at.CopyFrom(ts(exited))
    return recorded


def decoded(message: ev.EventEnvelope) -> Change:
    event = decode_event(message.SerializeToString())
    assert event is not None
    assert (str(event.event_id), event.event_type) == (message.event_id, message.event_type)
    return event.change


def test_the_projection_takes_every_event_type_of_the_contract() -> None:
    assert set(EVENT_TYPES) == {
        "member.registered",
        "checkin.recorded",
        "checkout.recorded",
        "membership.cancelled",
        "checkins.imported",
        "member.personal_data_erased",
    }


def test_a_registration_gives_the_plan_and_the_enrollment() -> None:
    assert decoded(registered()) == Change(
        members=(MemberFacts(7, "trimestral", 3, ENROLLED, None, None),)
    )


def test_a_cancellation_gives_its_instant_and_reason_only() -> None:
    cancelled_at = ENROLLED + timedelta(days=90)
    message = envelope(
        "membership.cancelled",
        membership_cancelled=ev.MembershipCancelled(
            member_id=7, cancelled_at=ts(cancelled_at), reason="no_time"
        ),
    )
    assert decoded(message) == Change(
        members=(MemberFacts(7, None, None, None, cancelled_at, "no_time"),)
    )


def test_a_check_in_gives_the_visit_with_its_exit_when_imported_finished() -> None:
    assert decoded(envelope("checkin.recorded", check_in_recorded=check_in())) == Change(
        visits=(VisitFacts(11, 7, ENTRY, None),)
    )
    finished = envelope("checkin.recorded", check_in_recorded=check_in(exited=EXIT))
    assert decoded(finished) == Change(visits=(VisitFacts(11, 7, ENTRY, EXIT),))


def test_a_check_out_gives_the_whole_visit() -> None:
    message = envelope(
        "checkout.recorded",
        check_out_recorded=ev.CheckOutRecorded(
            visit_id=11, member_id=7, entered_at=ts(ENTRY), exited_at=ts(EXIT), duration_minutes=75
        ),
    )
    assert decoded(message) == Change(visits=(VisitFacts(11, 7, ENTRY, EXIT),))


def test_an_import_gives_every_visit_it_stored() -> None:
    message = envelope(
        "checkins.imported",
        check_ins_imported=ev.CheckInsImported(
            member_id=7, visits=[check_in(11, EXIT), check_in(12)], job_id=str(uuid.uuid4())
        ),
    )
    assert decoded(message).visits == (VisitFacts(11, 7, ENTRY, EXIT), VisitFacts(12, 7, ENTRY))


def test_an_erasure_of_personal_data_changes_nothing_but_is_applied() -> None:
    """The projection keeps no personal data: the event is decoded (so the inbox records it)
    and tells nothing to merge."""
    message = envelope(
        "member.personal_data_erased",
        member_personal_data_erased=ev.MemberPersonalDataErased(member_id=7, erased_at=ts(EXIT)),
    )
    assert decoded(message) == Change()


def test_an_event_type_the_projection_does_not_use_is_ignored() -> None:
    assert decode_event(envelope("plan.created").SerializeToString()) is None


def _without_enrollment() -> ev.EventEnvelope:
    message = registered()
    message.member_registered.ClearField("enrolled_at")
    return message


def _exit_before_entry() -> ev.EventEnvelope:
    return envelope("checkin.recorded", check_in_recorded=check_in(exited=ENTRY))


MALFORMED = {
    "not protobuf": lambda: b"\xff\xff not an envelope",
    "no event id": lambda: envelope("checkin.recorded", check_in_recorded=check_in(), event_id=""),
    "schema version 2": lambda: envelope(
        "checkin.recorded", check_in_recorded=check_in(), schema_version=2
    ),
    "payload of another type": lambda: envelope("checkout.recorded", check_in_recorded=check_in()),
    "no payload": lambda: envelope("member.registered"),
    "no member": lambda: envelope("checkin.recorded", 0, check_in_recorded=check_in()),
    "visit of another member": lambda: envelope(
        "checkin.recorded", 8, check_in_recorded=check_in()
    ),
    "no visit id": lambda: envelope("checkin.recorded", check_in_recorded=check_in(0)),
    "registration without enrollment": _without_enrollment,
    "registration without plan": lambda: envelope(
        "member.registered",
        member_registered=ev.MemberRegistered(member_id=7, enrolled_at=ts(ENROLLED)),
    ),
    "exit before entry": _exit_before_entry,
    "check-out without exit": lambda: envelope(
        "checkout.recorded",
        check_out_recorded=ev.CheckOutRecorded(visit_id=11, member_id=7, entered_at=ts(ENTRY)),
    ),
    "cancellation without instant": lambda: envelope(
        "membership.cancelled",
        membership_cancelled=ev.MembershipCancelled(member_id=7, reason="price"),
    ),
    "erasure of another member": lambda: envelope(
        "member.personal_data_erased",
        member_personal_data_erased=ev.MemberPersonalDataErased(member_id=8, erased_at=ts(EXIT)),
    ),
    "import without visits": lambda: envelope(
        "checkins.imported", check_ins_imported=ev.CheckInsImported(member_id=7)
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_an_event_that_can_never_be_applied_is_malformed(case: str) -> None:
    made = MALFORMED[case]()
    body = made if isinstance(made, bytes) else made.SerializeToString()
    with pytest.raises(MalformedEvent) as caught:
        decode_event(body)
    assert str(caught.value), "the reason goes with the dead letter"


def test_an_exported_member_maps_to_the_same_facts_as_its_events() -> None:
    cancelled_at = ENROLLED + timedelta(days=90)
    member = pb.ExportedMember(
        member_id=7,
        plan_code="trimestral",
        plan_duration_months=3,
        enrolled_at=ts(ENROLLED),
        cancelled_at=ts(cancelled_at),
        cancellation_reason=pb.CANCELLATION_REASON_NO_TIME,
    )
    assert exported_member(member) == MemberFacts(
        7, "trimestral", 3, ENROLLED, cancelled_at, "no_time"
    )
    active = pb.ExportedMember(
        member_id=8, plan_code="mensal", plan_duration_months=1, enrolled_at=ts(ENROLLED)
    )
    assert exported_member(active) == MemberFacts(8, "mensal", 1, ENROLLED, None, None)


def test_an_exported_visit_maps_to_its_facts() -> None:
    visit = pb.Visit(id=11, member_id=7, entered_at=ts(ENTRY), exited_at=ts(EXIT))
    assert exported_visit(visit) == VisitFacts(11, 7, ENTRY, EXIT)
    assert exported_visit(pb.Visit(id=12, member_id=7, entered_at=ts(ENTRY))) == VisitFacts(
        12, 7, ENTRY, None
    )


def test_merging_a_members_facts_in_any_order_gives_the_same_member() -> None:
    cancelled_at = ENROLLED + timedelta(days=90)
    facts = [
        MemberFacts(7, "trimestral", 3, ENROLLED),
        MemberFacts(7, cancelled_at=cancelled_at, cancellation_reason="price"),
        MemberFacts(7),
        MemberFacts(7, "trimestral", 3, ENROLLED, cancelled_at, "price"),
    ]
    results = set()
    for order in itertools.permutations(facts):
        merged = order[0]
        for fact in order[1:]:
            merged = merge(merged, fact)
        results.add(merged)
    assert results == {MemberFacts(7, "trimestral", 3, ENROLLED, cancelled_at, "price")}


def test_an_unknown_exit_never_erases_a_known_one() -> None:
    assert merge(VisitFacts(11, 7, ENTRY, EXIT), VisitFacts(11, 7, ENTRY)) == VisitFacts(
        11, 7, ENTRY, EXIT
    )
    assert merge(VisitFacts(11, 7, ENTRY), VisitFacts(11, 7, ENTRY, EXIT)) == VisitFacts(
        11, 7, ENTRY, EXIT
    )
