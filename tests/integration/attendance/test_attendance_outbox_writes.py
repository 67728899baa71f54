"""Every change writes exactly one outbox row in its own transaction (the row and the change
share their PostgreSQL transaction id, xmin); a refused or failed use case writes none, and
neither does an idempotent replay. Work messages are enqueued the same way."""

import uuid
from datetime import UTC, timedelta

import grpc
import pytest
from attendance_support import ago, ts
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.events.v1 import events_pb2 as ev
from frequenta_attendance.bootstrap import gym_rules
from frequenta_attendance.clock import system_clock
from frequenta_attendance.handlers.visits import record_check_in
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.database import create_session_factory


async def outbox_rows(engine: AsyncEngine, member_id: int) -> list[dict]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT id, message_id, message_type, exchange, routing_key, aggregate_id,"
                " headers, payload, occurred_at, published_at, xmin::text AS xid"
                " FROM outbox WHERE aggregate_id = :member ORDER BY id"
            ),
            {"member": member_id},
        )
        return [dict(row._mapping) for row in rows]


async def row_xid(engine: AsyncEngine, table: str, row_id: int) -> str:
    async with engine.connect() as connection:
        return await connection.scalar(
            text(f"SELECT xmin::text FROM {table} WHERE id = :id"), {"id": row_id}
        )


def envelope_of(row: dict) -> ev.EventEnvelope:
    envelope = ev.EventEnvelope.FromString(row["payload"])
    assert str(row["message_id"]) == envelope.event_id
    assert row["message_type"] == row["routing_key"] == envelope.event_type
    assert (row["exchange"], row["headers"]) == ("events", {"schema_version": 1})
    assert row["occurred_at"] == envelope.occurred_at.ToDatetime(tzinfo=UTC)
    assert row["published_at"] is None
    return envelope


async def test_registration_writes_member_registered_with_the_member(
    attendance_engine, register_member
):
    member = await register_member(email=f"outbox-{uuid.uuid4().hex[:8]}@example.com")
    (row,) = await outbox_rows(attendance_engine, member.id)
    envelope = envelope_of(row)
    assert envelope.event_type == "member.registered"
    assert envelope.member_registered.member_id == member.id
    assert envelope.occurred_at == member.enrolled_at
    assert member.email.encode() not in row["payload"]
    assert row["xid"] == await row_xid(attendance_engine, "alunos", member.id)


async def test_check_in_check_out_and_cancellation_each_write_one_event_in_order(
    attendance, attendance_engine, register_member
):
    member = await register_member()
    entered = ago(hours=2)
    visit = (
        await attendance.RecordCheckIn(
            pb.RecordCheckInRequest(member_id=member.id, entered_at=ts(entered))
        )
    ).visit
    check_in_xid = await row_xid(attendance_engine, "checkins", visit.id)
    await attendance.RecordCheckOut(
        pb.RecordCheckOutRequest(member_id=member.id, exited_at=ts(entered + timedelta(hours=1)))
    )
    check_out_xid = await row_xid(attendance_engine, "checkins", visit.id)
    await attendance.CancelMembership(
        pb.CancelMembershipRequest(member_id=member.id, reason=pb.CANCELLATION_REASON_NO_TIME)
    )

    rows = await outbox_rows(attendance_engine, member.id)
    types = [envelope_of(row).event_type for row in rows]
    assert types == [
        "member.registered",
        "checkin.recorded",
        "checkout.recorded",
        "membership.cancelled",
    ]
    assert rows[1]["xid"] == check_in_xid
    assert rows[2]["xid"] == check_out_xid != check_in_xid
    assert rows[3]["xid"] == await row_xid(attendance_engine, "alunos", member.id)
    check_out = envelope_of(rows[2]).check_out_recorded
    assert (check_out.visit_id, check_out.duration_minutes) == (visit.id, 60)
    assert envelope_of(rows[3]).membership_cancelled.reason == "no_time"


async def test_a_replayed_check_in_writes_no_event(attendance, attendance_engine, register_member):
    member = await register_member()
    request = pb.RecordCheckInRequest(
        member_id=member.id, entered_at=ts(ago(minutes=20)), idempotency_key=uuid.uuid4().hex
    )
    first = await attendance.RecordCheckIn(request)
    again = await attendance.RecordCheckIn(request)
    assert again.replayed and again.visit.id == first.visit.id
    types = [row["message_type"] for row in await outbox_rows(attendance_engine, member.id)]
    assert types == ["member.registered", "checkin.recorded"]


async def test_refused_changes_write_no_event(attendance, attendance_engine, register_member):
    member = await register_member()
    await attendance.RecordCheckIn(
        pb.RecordCheckInRequest(member_id=member.id, entered_at=ts(ago(minutes=30)))
    )
    refused = [
        attendance.RecordCheckIn(pb.RecordCheckInRequest(member_id=member.id)),  # already open
        attendance.RecordCheckOut(
            pb.RecordCheckOutRequest(member_id=member.id, exited_at=ts(ago(hours=1)))
        ),  # exit before the entry
        attendance.CancelMembership(pb.CancelMembershipRequest(member_id=member.id)),  # no reason
    ]
    for call in refused:
        with pytest.raises(grpc.aio.AioRpcError):
            await call
    types = [row["message_type"] for row in await outbox_rows(attendance_engine, member.id)]
    assert types == ["member.registered", "checkin.recorded"]


class CrashBeforeCommit(SqlAlchemyUnitOfWork):
    """Writes everything (flush) and then fails instead of committing."""

    async def commit(self) -> None:
        await self._session.flush()  # type: ignore[union-attr]
        raise RuntimeError("crash between the writes and the commit")


async def test_a_use_case_that_fails_before_commit_leaves_neither_change_nor_event(
    attendance_engine, attendance_settings, register_member
):
    member = await register_member()
    uow = CrashBeforeCommit(create_session_factory(attendance_engine))
    with pytest.raises(RuntimeError, match="crash"):
        await record_check_in(
            uow=uow,
            clock=system_clock,
            rules=gym_rules(attendance_settings),
            member_id=member.id,
            entered_at=ago(minutes=10),
            exited_at=None,
            source=None,
            device_id="",
            idempotency_key="",
        )
    async with attendance_engine.connect() as connection:
        visits = await connection.scalar(
            text("SELECT count(*) FROM checkins WHERE aluno_id = :m"), {"m": member.id}
        )
    assert visits == 0
    types = [row["message_type"] for row in await outbox_rows(attendance_engine, member.id)]
    assert types == ["member.registered"]


async def test_work_messages_commit_with_their_transaction(attendance_engine):
    session_factory = create_session_factory(attendance_engine)
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    async with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.outbox.add_work("reports.daily", b"2026-11-24", kept, message_type="report.requested")
        await uow.commit()
    async with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.outbox.add_work("reports.daily", b"never", dropped)  # left without commit
    async with attendance_engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT message_id, exchange, routing_key, message_type, aggregate_id, payload"
                    " FROM outbox WHERE message_id IN (:kept, :dropped)"
                ),
                {"kept": kept, "dropped": dropped},
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        (kept, "work", "reports.daily", "report.requested", None, b"2026-11-24")
    ]
