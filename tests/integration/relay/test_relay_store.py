"""The relay's SQL on real PostgreSQL: partitions are claimed exclusively until the claiming
transaction ends, the SQL partition of a row is the one partition_of computes, and a commit to
the outbox notifies the relay's channel."""

import asyncio
import uuid

import asyncpg
from sqlalchemy import text

from frequenta_attendance.outbox import NOTIFY_CHANNEL
from frequenta_attendance.relay import store
from frequenta_attendance.relay.listener import asyncpg_dsn
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.database import create_session_factory

ALL = list(range(17))


async def test_a_partition_is_claimed_by_one_transaction_at_a_time(attendance_engine):
    async with attendance_engine.connect() as first, attendance_engine.connect() as second:
        async with first.begin():
            mine = await store.claim_partitions(first, ALL, limit=9)
            assert mine == ALL[:9], "tried in the order given, stopping at the limit"
            async with second.begin():
                theirs = await store.claim_partitions(second, ALL, limit=17)
                assert theirs == ALL[9:]
                assert await store.claim_partitions(second, ALL, limit=17) == ALL[9:]
            # The second transaction ended: its partitions are free again.
            async with second.begin():
                assert await store.claim_partitions(second, ALL, limit=17) == ALL[9:]
        async with second.begin():
            assert await store.claim_partitions(second, ALL, limit=17) == ALL


async def test_sql_and_python_agree_on_partitions(attendance_engine):
    ids = [1, 2, 15, 16, 17, 10**12 + 3, None]
    async with attendance_engine.connect() as connection:
        for partitions in (1, 4, 16):
            for aggregate_id in ids:
                in_sql = await connection.scalar(
                    text("SELECT coalesce(CAST(:a AS bigint) % :n, :n)"),
                    {"a": aggregate_id, "n": partitions},
                )
                assert in_sql == store.partition_of(aggregate_id, partitions)


async def test_a_commit_to_the_outbox_notifies_the_relay(
    attendance_engine, attendance_database_url
):
    notified = asyncio.Event()
    listener = await asyncpg.connect(asyncpg_dsn(attendance_database_url))
    try:
        await listener.add_listener(NOTIFY_CHANNEL, lambda *_: notified.set())
        message_id = uuid.uuid4()
        async with SqlAlchemyUnitOfWork(create_session_factory(attendance_engine)) as uow:
            uow.outbox.add_work("test-notify", b"", message_id)
            await uow.commit()
        async with asyncio.timeout(5):
            await notified.wait()
    finally:
        await listener.close()
    async with attendance_engine.begin() as connection:  # keep it from the relays of other tests
        await connection.execute(
            text("UPDATE outbox SET published_at = now() WHERE message_id = :id"),
            {"id": message_id},
        )


_ADD_ROW = text(
    "INSERT INTO outbox (message_id, message_type, exchange, routing_key, aggregate_id,"
    " content_type, headers, payload, occurred_at)"
    " VALUES (:id, 'checkin.recorded',"
    " CASE WHEN CAST(:member AS bigint) IS NULL THEN 'work' ELSE 'events' END,"
    " 'checkin.recorded', CAST(:member AS bigint), 'application/x-protobuf', '{}', '', now())"
)


async def test_only_partitions_with_unpublished_rows_are_claimed(attendance_engine):
    """Within one transaction rolled back at the end: every row published but rows of members
    in partitions 3 and 5 (of 16) and a work message (partition 16)."""
    async with attendance_engine.connect() as connection, connection.begin() as transaction:
        await connection.execute(
            text("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
        )
        for member in (16 * 1000 + 3, 16 * 2000 + 3, 16 * 1000 + 5, None):
            row = {"id": uuid.uuid4(), "member": member}
            await connection.execute(_ADD_ROW, row)
        await store.use_index_plans(connection)

        async def claim(candidates: list[int], *, limit: int, peek: int) -> list[int]:
            return await store.claim_waiting_partitions(
                connection, candidates, partitions=16, limit=limit, peek=peek
            )

        assert await claim(ALL, limit=9, peek=100) == [3, 5, 16]
        assert await claim([16, 5, 3, 4], limit=2, peek=100) == [16, 5], "in order, limited"
        # As many unpublished rows as the peek, or more: a backlog, every candidate is tried.
        assert await claim(ALL, limit=17, peek=4) == ALL
        await transaction.rollback()
