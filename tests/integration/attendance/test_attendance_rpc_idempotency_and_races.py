"""Idempotent check-ins and concurrent requests, over gRPC on real PostgreSQL.

The key's three answers (docs/rules.md): same key and data, a replay; other data, 422
IDEMPOTENCY_KEY_REUSED (INVALID_ARGUMENT); while the first request is in flight, 409
IDEMPOTENCY_KEY_IN_FLIGHT (FAILED_PRECONDITION) at once.

The races that matter are forced deterministically: a test transaction holds a conflicting row
uncommitted (or the member's row locked), the RPC is seen waiting on it in pg_stat_activity, then
the test commits."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import grpc
from attendance_support import ago, assert_error, rpc_error, ts, unique_email
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_kit.grpc_errors import describe_rpc_error

ALREADY_EXISTS = grpc.StatusCode.ALREADY_EXISTS
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION


def new_key() -> str:
    return f"turnstile-7:{uuid.uuid4()}"


async def test_same_key_and_data_replays_the_stored_visit(attendance, register_member):
    member = await register_member()
    request = pb.RecordCheckInRequest(
        member_id=member.id,
        entered_at=ts(ago(minutes=20)),
        source=pb.CHECK_IN_SOURCE_TURNSTILE,
        device_id="catraca-07",
        idempotency_key=new_key(),
    )
    first = await attendance.RecordCheckIn(request)
    again = await attendance.RecordCheckIn(request)
    assert not first.replayed and again.replayed
    assert again.visit == first.visit
    assert first.visit.idempotency_key == request.idempotency_key
    history = await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))
    assert history.summary.total_visits == 1


async def test_a_retry_that_left_the_entry_to_default_to_now_is_a_replay(
    attendance, register_member
):
    member = await register_member()
    request = pb.RecordCheckInRequest(member_id=member.id, idempotency_key=new_key())
    first = await attendance.RecordCheckIn(request)
    again = await attendance.RecordCheckIn(request)
    assert again.replayed and again.visit.id == first.visit.id


async def test_a_replay_still_answers_after_the_visit_was_closed(attendance, register_member):
    member = await register_member()
    request = pb.RecordCheckInRequest(
        member_id=member.id, entered_at=ts(ago(hours=1)), idempotency_key=new_key()
    )
    first = await attendance.RecordCheckIn(request)
    await attendance.RecordCheckOut(pb.RecordCheckOutRequest(member_id=member.id))
    again = await attendance.RecordCheckIn(request)
    assert again.replayed and again.visit.id == first.visit.id
    assert again.visit.HasField("exited_at")


async def test_the_same_key_with_other_data_is_refused(attendance, register_member):
    member, other = await register_member(), await register_member()
    key = new_key()
    entered = ago(hours=2)
    await attendance.RecordCheckIn(
        pb.RecordCheckInRequest(member_id=member.id, entered_at=ts(entered), idempotency_key=key)
    )
    for reuse in (
        pb.RecordCheckInRequest(
            member_id=member.id, entered_at=ts(entered - timedelta(days=1)), idempotency_key=key
        ),
        pb.RecordCheckInRequest(member_id=other.id, entered_at=ts(entered), idempotency_key=key),
    ):
        error = await rpc_error(attendance.RecordCheckIn(reuse))
        assert_error(error, INVALID_ARGUMENT, "IDEMPOTENCY_KEY_REUSED", "idempotency_key")


async def test_concurrent_identical_requests_store_one_visit(attendance, register_member):
    """Each answer is the stored visit, its replay, or IN_FLIGHT (the first had not committed
    yet); a retry of those gets the replay."""
    member = await register_member()
    request = pb.RecordCheckInRequest(
        member_id=member.id, entered_at=ts(ago(minutes=3)), idempotency_key=new_key()
    )
    outcomes = await asyncio.gather(
        *(attendance.RecordCheckIn(request) for _ in range(8)), return_exceptions=True
    )
    responses = [o for o in outcomes if isinstance(o, pb.RecordCheckInResponse)]
    for refused in (o for o in outcomes if not isinstance(o, pb.RecordCheckInResponse)):
        assert isinstance(refused, grpc.aio.AioRpcError), refused
        error = describe_rpc_error(refused)
        assert_error(error, FAILED_PRECONDITION, "IDEMPOTENCY_KEY_IN_FLIGHT", "idempotency_key")
        retried = await attendance.RecordCheckIn(request)
        assert retried.replayed
        responses.append(retried)
    assert len({response.visit.id for response in responses}) == 1
    assert sum(not response.replayed for response in responses) == 1


async def test_concurrent_check_ins_of_one_member_open_one_visit(attendance, register_member):
    member = await register_member()
    requests = [pb.RecordCheckInRequest(member_id=member.id) for _ in range(8)]
    outcomes = await asyncio.gather(
        *(attendance.RecordCheckIn(r) for r in requests), return_exceptions=True
    )
    stored = [o for o in outcomes if isinstance(o, pb.RecordCheckInResponse)]
    refused = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    assert len(stored) == 1 and len(refused) == 7, outcomes
    assert {error.code() for error in refused} == {grpc.StatusCode.FAILED_PRECONDITION}
    history = await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))
    assert history.summary.total_visits == 1


# -- forced races --------------------------------------------------------------------------------


@asynccontextmanager
async def uncommitted(
    engine: AsyncEngine, statement: str, **params
) -> AsyncIterator[AsyncConnection]:
    """Run ``statement`` in a transaction left open until the block ends, then commit."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(text(statement), params)
        yield connection
        await transaction.commit()


async def wait_for_lock_waiters(engine: AsyncEngine, poll, count: int = 1) -> None:
    """Until ``count`` other sessions of this database are waiting for a lock."""

    async def waiting() -> bool:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        return (found or 0) >= count

    await poll(waiting, within=10, what="the RPC to wait on the test's lock")


async def test_an_email_registered_meanwhile_by_another_transaction(
    attendance, attendance_engine, default_plans, poll
):
    email = unique_email()
    insert = (
        "INSERT INTO alunos (nome, email, plano_id, data_matricula)"
        " VALUES ('Outra Pessoa', :email, :plan, now())"
    )
    async with uncommitted(attendance_engine, insert, email=email, plan=default_plans["anual"].id):
        call = asyncio.ensure_future(
            attendance.RegisterMember(
                pb.RegisterMemberRequest(
                    name="Ana", email=email.upper(), plan_id=default_plans["anual"].id
                )
            )
        )
        await wait_for_lock_waiters(attendance_engine, poll)
    error = await rpc_error(call)
    assert_error(error, ALREADY_EXISTS, "EMAIL_ALREADY_REGISTERED", "email")


async def test_a_key_stored_meanwhile_for_another_member_is_refused(
    attendance, attendance_engine, register_member, poll
):
    owner, other = await register_member(), await register_member()
    key = new_key()
    insert = (
        "INSERT INTO checkins (aluno_id, data_entrada, origem, chave_idempotencia)"
        " VALUES (:member, now() - interval '1 hour', 'catraca', :key)"
    )
    async with uncommitted(attendance_engine, insert, member=owner.id, key=key):
        call = asyncio.ensure_future(
            attendance.RecordCheckIn(
                pb.RecordCheckInRequest(member_id=other.id, idempotency_key=key)
            )
        )
        await wait_for_lock_waiters(attendance_engine, poll)
    error = await rpc_error(call)
    assert_error(error, INVALID_ARGUMENT, "IDEMPOTENCY_KEY_REUSED", "idempotency_key")


async def test_a_key_stored_meanwhile_with_the_same_data_is_a_replay(
    attendance, attendance_engine, register_member, poll
):
    member = await register_member()
    key = new_key()
    entered = ago(minutes=40)
    insert = (
        "INSERT INTO checkins (aluno_id, data_entrada, origem, chave_idempotencia)"
        " VALUES (:member, :entered, 'catraca', :key) RETURNING id"
    )
    async with uncommitted(attendance_engine, insert, member=member.id, entered=entered, key=key):
        call = asyncio.ensure_future(
            attendance.RecordCheckIn(
                pb.RecordCheckInRequest(
                    member_id=member.id, entered_at=ts(entered), idempotency_key=key
                )
            )
        )
        await wait_for_lock_waiters(attendance_engine, poll)
    response = await call
    assert response.replayed
    assert response.visit.idempotency_key == key
    assert response.visit.source == pb.CHECK_IN_SOURCE_TURNSTILE


async def test_a_visit_stored_meanwhile_at_the_same_instant_overlaps(
    attendance, attendance_engine, register_member, poll
):
    member = await register_member()
    entered = ago(days=1)
    insert = (
        "INSERT INTO checkins (aluno_id, data_entrada, data_saida, origem)"
        " VALUES (:member, :entered, :exited, 'importacao')"
    )
    exited = entered + timedelta(hours=1)
    async with uncommitted(
        attendance_engine, insert, member=member.id, entered=entered, exited=exited
    ):
        call = asyncio.ensure_future(
            attendance.RecordCheckIn(
                pb.RecordCheckInRequest(
                    member_id=member.id,
                    entered_at=ts(entered),
                    exited_at=ts(entered + timedelta(minutes=30)),
                )
            )
        )
        await wait_for_lock_waiters(attendance_engine, poll)
    error = await rpc_error(call)
    assert_error(error, grpc.StatusCode.FAILED_PRECONDITION, "VISIT_OVERLAPS", "entered_at")


async def test_a_second_request_while_the_first_is_in_flight_is_refused_at_once(
    attendance, attendance_engine, register_member, poll
):
    """The first request holds the key and waits on the member's row (locked by the test); the
    same key again, with the same or other data, is IN_FLIGHT without waiting; a check-in with
    another key is not held up by it. Once the first committed: replay, and 422 for other data."""
    member, bystander = await register_member(), await register_member()
    key = new_key()
    entered = ago(minutes=25)
    request = pb.RecordCheckInRequest(
        member_id=member.id, entered_at=ts(entered), idempotency_key=key
    )
    other_data = pb.RecordCheckInRequest(
        member_id=member.id, entered_at=ts(entered - timedelta(days=2)), idempotency_key=key
    )
    lock_member = "SELECT id FROM alunos WHERE id = :member FOR UPDATE"
    async with uncommitted(attendance_engine, lock_member, member=member.id):
        first = asyncio.ensure_future(attendance.RecordCheckIn(request))
        await wait_for_lock_waiters(attendance_engine, poll)
        for again in (request, other_data):
            # The deadline is far shorter than the first request's wait: no queueing behind it.
            error = await rpc_error(attendance.RecordCheckIn(again, timeout=5))
            assert_error(error, FAILED_PRECONDITION, "IDEMPOTENCY_KEY_IN_FLIGHT", "idempotency_key")
        unrelated = await attendance.RecordCheckIn(
            pb.RecordCheckInRequest(member_id=bystander.id, idempotency_key=new_key()), timeout=5
        )
        assert not unrelated.replayed
        assert not first.done(), "the first request was still waiting on the member's row"
    stored = await first
    assert not stored.replayed
    replay = await attendance.RecordCheckIn(request)
    assert replay.replayed and replay.visit == stored.visit
    error = await rpc_error(attendance.RecordCheckIn(other_data))
    assert_error(error, INVALID_ARGUMENT, "IDEMPOTENCY_KEY_REUSED", "idempotency_key")
    history = await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))
    assert history.summary.total_visits == 1


async def test_the_key_is_free_again_when_the_first_request_failed(attendance, register_member):
    """A refused first request holds nothing: the lock ends with its transaction."""
    member = await register_member(enrolled_at=ago(days=3))
    key = new_key()
    too_early = pb.RecordCheckInRequest(
        member_id=member.id, entered_at=ts(ago(days=4)), idempotency_key=key
    )
    error = await rpc_error(attendance.RecordCheckIn(too_early))
    assert_error(error, FAILED_PRECONDITION, "BEFORE_ENROLLMENT")
    stored = await attendance.RecordCheckIn(
        pb.RecordCheckInRequest(
            member_id=member.id, entered_at=ts(ago(days=1)), idempotency_key=key
        )
    )
    assert not stored.replayed
