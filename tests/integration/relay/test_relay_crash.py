"""A real relay process killed (SIGKILL) after the broker confirmed a batch and before it marked
the rows published: the rows stay unpublished, the restarted relay publishes them again, so the
broker sees duplicates, and a consumer idempotent on the message id counts every event once.

The moment is forced, not hoped for: the test holds ``LOCK TABLE outbox IN SHARE MODE``, which
lets the relay read and lock its rows (FOR UPDATE takes ROW SHARE) but not update them, so the
relay publishes its batch, gets the confirms and then waits on the lock (seen in
pg_stat_activity), where it is killed."""

import asyncio
import signal

from relay_support import Inbox, ago, outbox_of, ts
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1 import attendance_pb2 as pb

BLOCKED_MARKING = text(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND query LIKE 'UPDATE outbox SET published_at%'"
)
SESSION_ALIVE = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")


async def check_ins(attendance, members: list[pb.Member], per_member: int, first_day: int) -> None:
    """``per_member`` finished visits of each member, one a day from ``first_day`` days ago."""

    async def of(member: pb.Member) -> None:
        for n in range(per_member):
            entered = ago(days=first_day - n)
            await attendance.RecordCheckIn(
                pb.RecordCheckInRequest(
                    member_id=member.id,
                    entered_at=ts(entered),
                    exited_at=ts(ago(days=first_day - n, minutes=-40)),
                )
            )

    await asyncio.gather(*(of(member) for member in members))


async def published_count(engine: AsyncEngine, ids: set[int]) -> int:
    return sum(published for _, _, published in await outbox_of(engine, ids))


async def test_a_relay_killed_between_the_confirms_and_marking_loses_nothing(
    attendance, attendance_engine, relay_process, received, new_member, poll
):
    # Batches of 40, and no pruning DELETE (it would conflict with the test's lock).
    settings = {"RELAY_BATCH_SIZE": "40", "RELAY_RETENTION_HOURS": "0"}
    members = [await new_member() for _ in range(20)]
    ids = {member.id for member in members}
    await check_ins(attendance, members, per_member=5, first_day=300)
    before_kill = len(members) * 6  # registrations and the first check-ins

    async with relay_process(**settings) as doomed:
        # First the relay works normally: all written so far is published and marked.
        async def first_part_marked() -> bool:
            return await published_count(attendance_engine, ids) == before_kill

        await poll(first_part_marked, within=30, what="the first events, published and marked")

        # Frozen, so that the next events wait for it; then the table is locked against marking.
        doomed.send_signal(signal.SIGSTOP)
        await check_ins(attendance, members, per_member=15, first_day=200)
        async with attendance_engine.connect() as blocker:
            transaction = await blocker.begin()
            await blocker.execute(text("SET LOCAL lock_timeout = '10s'"))  # never hang here
            await blocker.execute(text("LOCK TABLE outbox IN SHARE MODE"))
            doomed.send_signal(signal.SIGCONT)

            async def blocked_marking() -> int | None:
                async with attendance_engine.connect() as connection:
                    return await connection.scalar(BLOCKED_MARKING)

            backend = await poll(blocked_marking, within=30, what="the relay to wait to mark")
            doomed.kill()
            await doomed.wait()
            await transaction.rollback()

    async def backend_gone() -> bool:
        async with attendance_engine.connect() as connection:
            return await connection.scalar(SESSION_ALIVE, {"pid": backend}) == 0

    await poll(backend_gone, within=15, what="the killed relay's session to end")
    rows = await outbox_of(attendance_engine, ids)
    assert len(rows) == len(members) * 21
    assert sum(published for _, _, published in rows) == before_kill, "the batch was not marked"
    sent_unmarked = len(Inbox.of(received.messages, ids).applied) - before_kill
    assert sent_unmarked > 0, "the killed relay had published a batch"
    assert sent_unmarked <= 40

    async with relay_process(**settings):

        async def everything_delivered() -> bool:
            inbox = Inbox.of(received.messages, ids)
            return len(inbox.applied) == len(rows) and await published_count(
                attendance_engine, ids
            ) == len(rows)

        await poll(everything_delivered, within=60, what="the restarted relay to catch up")

    inbox = Inbox.of(received.messages, ids)
    assert set(inbox.applied) == {message_id for message_id, _, _ in rows}  # nothing lost
    assert inbox.duplicates >= sent_unmarked  # the unmarked batch went out again
    assert inbox.in_member_order(rows)
    assert doomed.returncode == -signal.SIGKILL
