"""The relay's publishing rules with fake exchanges: partitions, waves (a member's next message
only after the previous one is confirmed), what a nack, a return or a lost connection leaves
unpublished, and the AMQP properties of a message."""

import asyncio
import uuid
from datetime import UTC, datetime

import aio_pika
import pytest
from aio_pika.exceptions import DeliveryError, PublishError
from aiormq.exceptions import ChannelInvalidStateError

from frequenta_attendance.relay.publisher import Publisher, amqp_message, waves
from frequenta_attendance.relay.store import PendingMessage, partition_of
from frequenta_kit.broker import Topology

CREATED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def row(row_id: int, member: int | None, exchange: str = "events") -> PendingMessage:
    return PendingMessage(
        id=row_id,
        message_id=uuid.uuid4(),
        message_type="checkin.recorded" if exchange == "events" else "job",
        exchange=exchange,
        routing_key="checkin.recorded" if exchange == "events" else "jobs",
        aggregate_id=member,
        content_type="application/x-protobuf",
        headers={"schema_version": 1},
        payload=f"body-{row_id}".encode(),
        created_at=CREATED,
    )


def test_members_spread_over_partitions_and_memberless_rows_have_their_own():
    assert [partition_of(member, 4) for member in (4, 5, 6, 7, 8)] == [0, 1, 2, 3, 0]
    assert partition_of(None, 4) == 4
    assert partition_of(10**12 + 1, 16) == (10**12 + 1) % 16
    assert {partition_of(member, 16) for member in range(1, 1000)} == set(range(16))


def test_waves_hold_each_member_once_in_order_and_memberless_rows_first():
    batch = [row(1, 7), row(2, 8), row(3, 7), row(4, None), row(5, 7), row(6, None), row(7, 8)]
    assert [[m.id for m in wave] for wave in waves(batch)] == [[1, 2, 4, 6], [3, 7], [5]]
    assert waves([]) == []


class FakeExchange:
    """Records what was published, in order; fails the bodies it is told to."""

    def __init__(self, name: str, failures: dict[bytes, BaseException]) -> None:
        self.name = name
        self.failures = failures
        self.published: list[tuple[bytes, str, bool]] = []

    async def publish(self, message: aio_pika.Message, routing_key: str, *, mandatory: bool):
        await asyncio.sleep(0)
        if message.body in self.failures:
            raise self.failures[message.body]
        self.published.append((message.body, routing_key, mandatory))


def publisher(failures: dict[bytes, BaseException] | None = None) -> tuple[Publisher, dict]:
    topology = Topology("ns")
    failing = failures or {}
    exchanges = {
        "events": FakeExchange(topology.events_exchange, failing),
        "work": FakeExchange(topology.work_exchange, failing),
    }
    publishing = Publisher(channel=None, topology=topology, timeout=1)  # type: ignore[arg-type]
    publishing._exchanges = exchanges  # type: ignore[assignment]
    publishing._work_queues = {"jobs"}
    return publishing, exchanges


async def test_every_message_is_published_to_its_exchange_and_confirmed():
    publishing, exchanges = publisher()
    batch = [row(1, 7), row(2, None, "work"), row(3, 7), row(4, 9)]
    outcome = await publishing.publish(batch)
    assert outcome.confirmed == [1, 2, 4, 3]
    assert outcome.failed == {}
    assert exchanges["events"].published == [
        (b"body-1", "checkin.recorded", False),
        (b"body-4", "checkin.recorded", False),
        (b"body-3", "checkin.recorded", False),
    ]
    assert exchanges["work"].published == [(b"body-2", "ns.jobs", True)]


def returned() -> PublishError:
    """What aio-pika raises for a returned message (built without a real Basic.Return)."""
    error = PublishError.__new__(PublishError)
    error.args = ("returned",)
    return error


@pytest.mark.parametrize(
    "failure",
    [DeliveryError(None, None), returned(), TimeoutError()],  # type: ignore[arg-type]
    ids=["nack", "return", "timeout"],
)
async def test_a_failed_message_holds_back_its_members_later_ones_only(failure):
    publishing, exchanges = publisher({b"body-1": failure})
    batch = [row(1, 7), row(2, 8), row(3, 7), row(4, 8), row(5, 7)]
    outcome = await publishing.publish(batch)
    if isinstance(failure, TimeoutError):
        # Not a per-message answer: the connection may be gone, later waves are not sent.
        assert outcome.confirmed == [2]
        assert set(outcome.failed) == {1, 3, 4, 5}
    else:
        assert outcome.confirmed == [2, 4]
        assert set(outcome.failed) == {1, 3, 5}
    assert b"body-3" not in [body for body, _, _ in exchanges["events"].published]


async def test_a_lost_channel_stops_the_batch():
    publishing, _ = publisher({b"body-2": ChannelInvalidStateError("closed")})
    outcome = await publishing.publish([row(1, 7), row(2, 8), row(3, 7), row(4, 8)])
    assert outcome.confirmed == [1]
    assert sorted(outcome.failed) == [2, 3, 4]
    assert "ChannelInvalidStateError" in outcome.failed[2]


def test_the_amqp_message_carries_the_row():
    pending = row(1, 7)
    message = amqp_message(pending)
    assert message.body == b"body-1"
    assert message.message_id == str(pending.message_id)
    assert message.type == "checkin.recorded"
    assert message.content_type == "application/x-protobuf"
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.timestamp == CREATED
    assert message.headers == {"schema_version": 1}
    assert message.app_id == "frequenta-attendance"
