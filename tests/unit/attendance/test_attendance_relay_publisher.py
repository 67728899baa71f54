"""The relay's publishing rules with a fake broker: partitions, waves (a member's next message
only after the previous one is confirmed), what a nack, a return or a lost connection leaves
unpublished, and the AMQP properties of a message."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from aio_pika.exceptions import DeliveryError, PublishError
from aiormq.exceptions import ChannelInvalidStateError

from frequenta_attendance.relay.publisher import Publisher, outgoing, properties, waves
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


class FakeBroker:
    """Takes each wave as one write, records what was published, in order, by exchange; fails
    the bodies it is told to."""

    def __init__(self, failures: dict[bytes, BaseException]) -> None:
        self.failures = failures
        self.waves: list[list[bytes]] = []
        self.published: dict[str, list[tuple[bytes, str, bool]]] = {}

    async def send(self, wave: list[PendingMessage]) -> list[BaseException | None]:
        await asyncio.sleep(0)
        self.waves.append([message.payload for message in wave])
        results: list[BaseException | None] = []
        for message in wave:
            failure = self.failures.get(message.payload)
            results.append(failure)
            if failure is None:
                self.published.setdefault(message.exchange, []).append(
                    (message.payload, message.routing_key, message.exchange == "work")
                )
        return results


def publisher(failures: dict[bytes, BaseException] | None = None) -> tuple[Publisher, FakeBroker]:
    broker = FakeBroker(failures or {})
    publishing = Publisher(channel=None, topology=Topology("ns"), timeout=1)  # type: ignore[arg-type]
    publishing._send = broker.send  # type: ignore[method-assign]
    publishing._work_queues = {"jobs"}
    return publishing, broker


async def test_every_message_is_published_to_its_exchange_and_confirmed():
    publishing, broker = publisher()
    batch = [row(1, 7), row(2, None, "work"), row(3, 7), row(4, 9)]
    outcome = await publishing.publish(batch)
    assert outcome.confirmed == [1, 2, 4, 3]
    assert outcome.failed == {}
    assert broker.waves == [[b"body-1", b"body-2", b"body-4"], [b"body-3"]]
    assert broker.published["events"] == [
        (b"body-1", "checkin.recorded", False),
        (b"body-4", "checkin.recorded", False),
        (b"body-3", "checkin.recorded", False),
    ]
    assert broker.published["work"] == [(b"body-2", "jobs", True)]


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
    publishing, broker = publisher({b"body-1": failure})
    batch = [row(1, 7), row(2, 8), row(3, 7), row(4, 8), row(5, 7)]
    outcome = await publishing.publish(batch)
    if isinstance(failure, TimeoutError):
        # Not a per-message answer: the connection may be gone, later waves are not sent.
        assert outcome.confirmed == [2]
        assert set(outcome.failed) == {1, 3, 4, 5}
    else:
        assert outcome.confirmed == [2, 4]
        assert set(outcome.failed) == {1, 3, 5}
    assert b"body-3" not in [body for wave in broker.waves for body in wave]


async def test_a_lost_channel_stops_the_batch():
    publishing, _ = publisher({b"body-2": ChannelInvalidStateError("closed")})
    outcome = await publishing.publish([row(1, 7), row(2, 8), row(3, 7), row(4, 8)])
    assert outcome.confirmed == [1]
    assert sorted(outcome.failed) == [2, 3, 4]
    assert "ChannelInvalidStateError" in outcome.failed[2]


def test_the_amqp_properties_carry_the_row():
    pending = row(1, 7)
    sent = properties(pending)
    assert sent.message_id == str(pending.message_id)
    assert sent.message_type == "checkin.recorded"
    assert sent.content_type == "application/x-protobuf"
    assert sent.delivery_mode == 2  # persistent
    assert sent.timestamp == CREATED
    assert sent.headers == {"schema_version": 1}
    assert sent.app_id == "frequenta-attendance"


def test_events_go_to_the_events_exchange_and_work_messages_are_mandatory():
    topology = Topology("ns")
    pending = row(1, 7)
    event, work = outgoing(pending, topology), outgoing(row(2, None, "work"), topology)
    assert (event.exchange, event.routing_key, event.mandatory) == (
        "ns.events",
        "checkin.recorded",
        False,
    )
    assert (work.exchange, work.routing_key, work.mandatory) == ("ns.work", "ns.jobs", True)
    assert event.body == b"body-1"
    assert event.properties.message_id == str(pending.message_id)
