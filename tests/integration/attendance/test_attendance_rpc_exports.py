"""ExportMembers and ExportVisits (server streaming, in batches) over gRPC on real PostgreSQL.

Only this module's fixture records members enrolled in 2015 and visits in 2016, so those periods
hold exactly its rows."""

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from attendance_support import assert_error, rpc_error, ts, unique_email

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance.clock import system_clock
from frequenta_attendance.handlers.exports import export_visits
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.database import create_session_factory

ENROLLED = datetime(2015, 6, 1, 12, 0, tzinfo=UTC)
YEAR_2016 = (datetime(2016, 1, 1, tzinfo=UTC), datetime(2017, 1, 1, tzinfo=UTC))


History = tuple[list[pb.Member], list[pb.Visit]]


@pytest.fixture(scope="module")
async def history(attendance, default_plans) -> History:
    """Two members enrolled in 2015 (the second cancelled in 2017) and their 2016 visits, two of
    which enter at the same instant; a third member enrolled in 2016 who never came."""

    async def register(enrolled: datetime) -> pb.Member:
        request = pb.RegisterMemberRequest(
            name="Export",
            email=unique_email(),
            plan_id=default_plans["mensal"].id,
            enrolled_at=ts(enrolled),
            phone="11 98765-4321",
        )
        return (await attendance.RegisterMember(request)).member

    first, second = await register(ENROLLED), await register(ENROLLED + timedelta(days=30))
    same_instant = datetime(2016, 3, 1, 18, 0, tzinfo=UTC)
    entries = [
        (first, datetime(2016, 5, 2, 7, 0, tzinfo=UTC)),
        (second, same_instant),
        (first, same_instant),
        (first, datetime(2016, 1, 1, 0, 0, tzinfo=UTC)),
        (second, datetime(2017, 1, 1, 0, 0, tzinfo=UTC)),  # outside the year
    ]
    visits = []
    for member, entered in entries:
        request = pb.RecordCheckInRequest(
            member_id=member.id, entered_at=ts(entered), exited_at=ts(entered + timedelta(hours=1))
        )
        visits.append((await attendance.RecordCheckIn(request)).visit)
    await attendance.CancelMembership(
        pb.CancelMembershipRequest(
            member_id=second.id,
            cancelled_at=ts(datetime(2017, 6, 1, tzinfo=UTC)),
            reason=pb.CANCELLATION_REASON_COMPETITOR,
        )
    )
    later = await register(datetime(2016, 2, 1, tzinfo=UTC))
    return [first, second, later], visits


async def test_export_visits_streams_a_period_in_entry_order(attendance, history):
    _, visits = history
    since, until = YEAR_2016
    batches = [
        batch
        async for batch in attendance.ExportVisits(
            pb.ExportVisitsRequest(since=ts(since), until=ts(until))
        )
    ]
    assert len(batches) == 1  # up to 5,000 visits a message
    exported = list(batches[0].visits)
    in_year = [v for v in visits if since <= v.entered_at.ToDatetime(tzinfo=UTC) < until]
    expected = sorted(in_year, key=lambda v: (v.entered_at.ToDatetime(tzinfo=UTC), v.id))
    assert exported == expected
    assert len(exported) == 4


async def test_export_visits_in_small_batches_loses_and_repeats_nothing(
    attendance, history, attendance_engine
):
    """Keyset paging by (entry, id), also across two visits entering at the same instant."""
    since, until = YEAR_2016
    request = pb.ExportVisitsRequest(since=ts(since), until=ts(until))
    whole = [v.id async for batch in attendance.ExportVisits(request) for v in batch.visits]
    uow = SqlAlchemyUnitOfWork(create_session_factory(attendance_engine))
    sizes, batched = [], []
    async for batch in export_visits(
        uow=uow, clock=system_clock, since=since, until=until, batch_size=3
    ):
        sizes.append(len(batch))
        batched += [visit.id for visit in batch]
    assert batched == whole and sizes == [3, 1]
    assert len(batched) == len(set(batched)) == 4
    exact = [
        len(batch)
        async for batch in export_visits(
            uow=uow, clock=system_clock, since=since, until=until, batch_size=2
        )
    ]
    assert exact == [2, 2]  # no empty message after a full last batch


async def test_export_visits_refuses_an_empty_period(attendance):
    since, _ = YEAR_2016
    request = pb.ExportVisitsRequest(since=ts(since), until=ts(since))
    error = await rpc_error(_drain(attendance.ExportVisits(request)))
    assert_error(error, grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", "since")


async def test_export_members_without_contact_data(attendance, history):
    members, _ = history
    cutoff = datetime(2015, 12, 31, tzinfo=UTC)
    exported = [
        m
        async for batch in attendance.ExportMembers(
            pb.ExportMembersRequest(enrolled_before=ts(cutoff))
        )
        for m in batch.members
    ]
    # Only the two enrolled before the cutoff, in id order.
    assert [m.member_id for m in exported] == [m.id for m in members[:2]]
    ours = {m.member_id: m for m in exported}

    active, cancelled = ours[members[0].id], ours[members[1].id]
    assert (active.plan_code, active.plan_duration_months) == ("mensal", 1)
    assert active.enrolled_at == ts(ENROLLED)
    assert not active.HasField("cancelled_at")
    assert active.cancellation_reason == pb.CANCELLATION_REASON_UNSPECIFIED
    assert cancelled.cancelled_at == ts(datetime(2017, 6, 1, tzinfo=UTC))
    assert cancelled.cancellation_reason == pb.CANCELLATION_REASON_COMPETITOR

    everyone = [
        m.member_id
        async for batch in attendance.ExportMembers(pb.ExportMembersRequest())
        for m in batch.members
    ]
    assert {m.id for m in members} <= set(everyone)


async def _drain(stream) -> None:
    async for _ in stream:
        pass
