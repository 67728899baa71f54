"""Envelopes built from domain objects: every field set as docs/events.md says, the business
instant as occurred_at, and no personal data (name, e-mail, phone, birth date, notes)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from frequenta.events.v1 import events_pb2 as ev
from frequenta_attendance import events
from frequenta_attendance.domain.enums import CancellationReason, CheckInSource
from frequenta_attendance.models import Member, Plan, Visit
from frequenta_churn.projection.facts import decode_event

ENROLLED = datetime(2025, 2, 3, 12, 0, tzinfo=UTC)
ENTERED = datetime(2026, 3, 4, 15, 0, 0, 123456, tzinfo=UTC)
PERSONAL = ("Ana Souza", "ana.souza@example.com", "+55 11 91234-5678", "1990-05-17", "mudei")


def member(**changes: object) -> Member:
    plan = Plan(id=3, code="trimestral", name="Trimestral", duration_months=3, price=Decimal(1))
    fields = dict(
        id=42,
        name=PERSONAL[0],
        email=PERSONAL[1],
        phone=PERSONAL[2],
        birth_date=date(1990, 5, 17),
        plan_id=plan.id,
        plan=plan,
        enrolled_at=ENROLLED,
        active=True,
    )
    return Member(**{**fields, **changes})


def visit(**changes: object) -> Visit:
    fields = dict(
        id=7,
        member_id=42,
        entered_at=ENTERED,
        exited_at=None,
        source=CheckInSource.TURNSTILE,
        device_id="catraca-01",
        idempotency_key="k-1",
    )
    return Visit(**{**fields, **changes})


def assert_envelope(envelope: ev.EventEnvelope, event_type: str, occurred_at: datetime) -> None:
    assert uuid.UUID(envelope.event_id).version == 4
    assert envelope.event_type == event_type
    assert envelope.occurred_at.ToDatetime(tzinfo=UTC) == occurred_at
    assert envelope.schema_version == events.SCHEMA_VERSION == 1
    assert envelope.member_id == 42
    assert envelope.WhichOneof("payload") is not None
    decoded = ev.EventEnvelope.FromString(envelope.SerializeToString())
    assert decoded == envelope
    wire = envelope.SerializeToString()
    for value in PERSONAL:
        assert value.encode() not in wire, f"{value!r} leaked into {event_type}"


def test_member_registered_names_the_plan_and_the_enrollment():
    envelope = events.member_registered(member())
    assert_envelope(envelope, "member.registered", ENROLLED)
    payload = envelope.member_registered
    assert (payload.member_id, payload.plan_id, payload.plan_code) == (42, 3, "trimestral")
    assert payload.plan_duration_months == 3
    assert payload.enrolled_at.ToDatetime(tzinfo=UTC) == ENROLLED


def test_check_in_recorded_occurs_at_the_entry_with_the_source_in_english():
    envelope = events.check_in_recorded(visit())
    assert_envelope(envelope, "checkin.recorded", ENTERED)
    payload = envelope.check_in_recorded
    assert (payload.visit_id, payload.member_id) == (7, 42)
    assert payload.entered_at.ToDatetime(tzinfo=UTC) == ENTERED
    assert not payload.HasField("exited_at")
    assert (payload.source, payload.device_id) == ("turnstile", "catraca-01")


def test_an_imported_visit_reports_its_exit_in_the_check_in_event():
    exit_at = ENTERED + timedelta(minutes=75)
    envelope = events.check_in_recorded(
        visit(exited_at=exit_at, source=CheckInSource.IMPORT, device_id=None)
    )
    payload = envelope.check_in_recorded
    assert payload.exited_at.ToDatetime(tzinfo=UTC) == exit_at
    assert (payload.source, payload.device_id) == ("import", "")


@pytest.mark.parametrize("source", list(CheckInSource))
def test_every_source_has_an_event_name(source):
    name = events.check_in_recorded(visit(source=source)).check_in_recorded.source
    assert name in {"front_desk", "turnstile", "import", "app"}


def test_check_out_recorded_occurs_at_the_exit_with_the_duration():
    exit_at = ENTERED + timedelta(minutes=90, seconds=59)
    envelope = events.check_out_recorded(visit(exited_at=exit_at))
    assert_envelope(envelope, "checkout.recorded", exit_at)
    payload = envelope.check_out_recorded
    assert (payload.visit_id, payload.member_id, payload.duration_minutes) == (7, 42, 90)
    assert payload.entered_at.ToDatetime(tzinfo=UTC) == ENTERED
    assert payload.exited_at.ToDatetime(tzinfo=UTC) == exit_at


def test_a_visit_without_exit_has_no_check_out_event():
    with pytest.raises(ValueError):
        events.check_out_recorded(visit())


def test_membership_cancelled_gives_the_reason_code_but_not_the_note():
    cancelled_at = ENROLLED + timedelta(days=200)
    cancelled = member(
        active=False,
        cancelled_at=cancelled_at,
        cancellation_reason=CancellationReason.RELOCATION,
        cancellation_note=PERSONAL[4],
    )
    envelope = events.membership_cancelled(cancelled)
    assert_envelope(envelope, "membership.cancelled", cancelled_at)
    payload = envelope.membership_cancelled
    assert payload.member_id == 42
    assert payload.cancelled_at.ToDatetime(tzinfo=UTC) == cancelled_at
    assert payload.reason == "relocation"


def test_a_cancellation_without_a_reason_code_says_so_and_churn_reads_it():
    cancelled = member(
        active=False,
        cancelled_at=ENROLLED + timedelta(days=30),
        cancellation_reason=CancellationReason.NOT_GIVEN,
    )
    envelope = events.membership_cancelled(cancelled)
    assert envelope.membership_cancelled.reason == "not_given"
    consumed = decode_event(envelope.SerializeToString())  # churn's projection consumer
    assert consumed is not None
    assert [facts.cancellation_reason for facts in consumed.change.members] == ["not_given"]


def test_an_active_member_has_no_cancellation_event():
    with pytest.raises(ValueError):
        events.membership_cancelled(member())


def test_each_envelope_has_its_own_event_id():
    ids = {events.check_in_recorded(visit()).event_id for _ in range(100)}
    assert len(ids) == 100


def test_the_event_schema_has_no_field_for_personal_data():
    forbidden = {"email", "phone", "birth_date", "name", "note", "telephone"}
    for message in ev.DESCRIPTOR.message_types_by_name.values():
        names = {field.name for field in message.fields}
        assert not names & forbidden, (message.name, names & forbidden)


def test_a_bulk_chunk_builds_the_same_import_event_from_microseconds():
    job = uuid.uuid4()

    def us(instant: datetime) -> int:
        return (instant - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)

    later = ENTERED + timedelta(days=1, microseconds=1)
    stored = [
        visit(
            id=9,
            entered_at=later,
            exited_at=later + timedelta(hours=1),
            source=CheckInSource.IMPORT,
        ),
        visit(id=8, entered_at=ENTERED, device_id=None, source=CheckInSource.IMPORT),
    ]
    expected = events.checkins_imported(42, stored, job)
    built = events.visits_imported(
        42,
        [(v.id, us(v.entered_at), v.exited_at and us(v.exited_at), v.device_id) for v in stored],
        CheckInSource.IMPORT,
        job,
    )
    assert_envelope(built, "checkins.imported", later)
    assert built.event_id != expected.event_id
    built.event_id = expected.event_id
    assert built.SerializeToString() == expected.SerializeToString()
    assert [v.visit_id for v in built.check_ins_imported.visits] == [8, 9]  # in entry order
