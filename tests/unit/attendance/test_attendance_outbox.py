"""Outbox rows as the unit of work writes them: an event addressed to the events exchange by its
type, keyed by its member; a work message addressed to its queue, with no ordering key."""

import uuid
from datetime import UTC, datetime

import pytest

from frequenta.events.v1 import events_pb2 as ev
from frequenta_attendance import events
from frequenta_attendance.domain.enums import CheckInSource
from frequenta_attendance.models import OutboxMessage, Visit
from frequenta_attendance.outbox import OutboxRepository
from frequenta_kit import request_ids

ENTERED = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


class FakeSession:
    def __init__(self) -> None:
        self.added: list[object] = []

    def add(self, row: object) -> None:
        self.added.append(row)


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


def test_an_event_row_carries_the_serialized_envelope_and_its_route(session):
    visit = Visit(id=7, member_id=42, entered_at=ENTERED, source=CheckInSource.APP, device_id=None)
    envelope = events.check_in_recorded(visit)
    row = OutboxRepository(session).add(envelope)  # type: ignore[arg-type]
    assert session.added == [row]
    assert isinstance(row, OutboxMessage)
    assert row.message_id == uuid.UUID(envelope.event_id)
    assert (row.exchange, row.routing_key, row.message_type) == (
        "events",
        "checkin.recorded",
        "checkin.recorded",
    )
    assert row.aggregate_id == 42
    assert row.occurred_at == ENTERED
    assert row.content_type == "application/x-protobuf"
    assert row.headers == {"schema_version": 1}
    assert ev.EventEnvelope.FromString(row.payload) == envelope


def test_an_incomplete_envelope_is_refused(session):
    with pytest.raises(ValueError):
        OutboxRepository(session).add(ev.EventEnvelope(event_type="checkin.recorded"))  # type: ignore[arg-type]
    assert session.added == []


def test_a_work_row_is_addressed_to_its_queue_without_ordering_key(session):
    message_id = uuid.uuid4()
    row = OutboxRepository(session).add_work(  # type: ignore[arg-type]
        "bulk-checkins",
        b"chunk",
        message_id,
        headers={"job": "j-1"},
        content_type="application/json",
    )
    assert session.added == [row]
    assert (row.exchange, row.routing_key, row.message_type) == (
        "work",
        "bulk-checkins",
        "bulk-checkins",
    )
    assert (row.message_id, row.payload, row.aggregate_id) == (message_id, b"chunk", None)
    assert (row.headers, row.content_type) == ({"job": "j-1"}, "application/json")


@pytest.mark.parametrize("queue", ["", "Bulk", "frequenta bulk", "-x", "a" * 101])
def test_a_work_queue_name_must_be_plain(session, queue):
    with pytest.raises(ValueError):
        OutboxRepository(session).add_work(queue, b"", uuid.uuid4())  # type: ignore[arg-type]


def test_rows_made_during_a_request_carry_its_id(session):
    visit = Visit(id=8, member_id=42, entered_at=ENTERED, source=CheckInSource.APP, device_id=None)
    with request_ids.bound("req-77"):
        envelope = events.check_in_recorded(visit)
        event_row = OutboxRepository(session).add(envelope)  # type: ignore[arg-type]
        work_row = OutboxRepository(session).add_work("bulk-checkins", b"x", uuid.uuid4())  # type: ignore[arg-type]
    assert envelope.request_id == "req-77"
    assert event_row.headers == {"schema_version": 1, "x-request-id": "req-77"}
    assert work_row.headers == {"x-request-id": "req-77"}
    assert events.check_in_recorded(visit).request_id == ""  # outside a request: none
