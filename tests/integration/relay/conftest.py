"""Fixtures of the relay tests: relays running in-process against the session's database and
RabbitMQ virtual host, ``python -m frequenta_attendance relay`` as a real process, a queue that
receives every event, a TCP proxy that can play a broker outage, and a way to write events
through the real attendance service."""

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from integration_support import ANY_METRICS_PORT
from relay_support import TcpProxy, ago, ts
from sqlalchemy.ext.asyncio import AsyncEngine
from yarl import URL

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta.events.v1 import events_pb2 as ev
from frequenta_attendance.relay import Relay
from frequenta_attendance.settings import AttendanceSettings
from frequenta_kit.broker import connect, declare_events_exchange


@pytest.fixture(scope="session")
def relay_settings(attendance_settings: AttendanceSettings, rabbitmq) -> AttendanceSettings:
    """Quick to react, so the tests stay short: poll 0.2 s, back off at most 1 s, reconnect
    every 0.3 s."""
    return attendance_settings.model_copy(
        update={
            "rabbitmq_url": str(URL(rabbitmq.url).update_query(reconnect_interval="0.3")),
            "broker_namespace": rabbitmq.namespace,
            "relay_poll_interval_seconds": 0.2,
            "relay_max_backoff_seconds": 1.0,
            "relay_publish_timeout_seconds": 5.0,
            "relay_lag_log_interval_seconds": 2.0,
        }
    )


@dataclass
class RunningRelay:
    relay: Relay
    stop: asyncio.Event
    task: asyncio.Task[None]


StartRelay = Callable[..., Awaitable[RunningRelay]]


@pytest.fixture
async def start_relay(
    relay_settings: AttendanceSettings, attendance_engine: AsyncEngine
) -> AsyncIterator[StartRelay]:
    """``await start_relay(**setting_overrides)``: a relay running until the test ends."""
    running: list[RunningRelay] = []

    async def start(**overrides: object) -> RunningRelay:
        settings = relay_settings.model_copy(update=overrides)
        relay = Relay(settings, attendance_engine)
        stop = asyncio.Event()
        started = RunningRelay(relay, stop, asyncio.create_task(relay.run(stop)))
        running.append(started)
        return started

    yield start
    for each in running:
        each.stop.set()
    async with asyncio.timeout(30):
        await asyncio.gather(*(each.task for each in running))


RELAY_STARTED = b"relay publishing the outbox"
RelayProcess = Callable[..., AbstractAsyncContextManager[asyncio.subprocess.Process]]


@pytest.fixture
def relay_process(attendance_database_url: str, rabbitmq, tmp_path: Path) -> RelayProcess:
    """``async with relay_process(RELAY_BATCH_SIZE="40") as process``: ``python -m
    frequenta_attendance relay`` on the session's database and broker (polling every 0.2 s,
    FREQUENTA_<name> overrides given by name), from the moment it says it publishes until the
    block ends; SIGKILLed then if still alive. What it printed up to then is read; the rest
    waits on ``process.stdout``."""

    @asynccontextmanager
    async def run(**overrides: str) -> AsyncIterator[asyncio.subprocess.Process]:
        env = dict(
            os.environ,
            FREQUENTA_ATTENDANCE_DATABASE_URL=attendance_database_url,
            FREQUENTA_RABBITMQ_URL=rabbitmq.url,
            FREQUENTA_BROKER_NAMESPACE=rabbitmq.namespace,
            FREQUENTA_RELAY_POLL_INTERVAL_SECONDS="0.2",
            FREQUENTA_LOG_JSON="false",
            FREQUENTA_METRICS_PORTS=ANY_METRICS_PORT,
            **{f"FREQUENTA_{name}": value for name, value in overrides.items()},
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "frequenta_attendance",
            "relay",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output = b""
            async with asyncio.timeout(30):
                async for line in process.stdout:
                    output += line
                    if RELAY_STARTED in line:
                        break
            assert RELAY_STARTED in output, output.decode()
            yield process
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    return run


@dataclass
class Received:
    """Every event delivered to the test's queue, in arrival order."""

    messages: list[AbstractIncomingMessage] = field(default_factory=list)
    decoded: list[ev.EventEnvelope] = field(default_factory=list)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        self.messages.append(message)
        self.decoded.append(ev.EventEnvelope.FromString(message.body))

    def envelopes(self, member_ids: set[int] | None = None) -> list[ev.EventEnvelope]:
        return [e for e in self.decoded if member_ids is None or e.member_id in member_ids]

    def of_member(self, member_id: int) -> list[str]:
        return [e.event_type for e in self.envelopes({member_id})]


@pytest.fixture
async def broker_connection(rabbitmq) -> AsyncIterator[AbstractRobustConnection]:
    connection = await connect(str(URL(rabbitmq.url).update_query(reconnect_interval="0.3")))
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def received(
    rabbitmq, broker_connection: AbstractRobustConnection
) -> AsyncIterator[Received]:
    """A queue of the test's own bound to every event type. Not exclusive, so it outlives a
    forced reconnect of the test's connection (and collects meanwhile)."""
    channel = await broker_connection.channel()
    exchange = await declare_events_exchange(channel, rabbitmq.topology)
    queue = await channel.declare_queue(f"test-events-{uuid.uuid4().hex[:8]}", durable=False)
    await queue.bind(exchange, routing_key="#")
    collected = Received()
    await queue.consume(collected.on_message, no_ack=True)
    try:
        yield collected
    finally:
        with contextlib.suppress(Exception):
            await queue.delete(if_unused=False, if_empty=False)
        await channel.close()


@pytest.fixture
async def proxy(rabbitmq) -> AsyncIterator[TcpProxy]:
    """A TCP proxy in front of RabbitMQ, open; ``close()`` plays a broker outage."""
    target = URL(rabbitmq.url)
    tcp = TcpProxy(target.host or "127.0.0.1", target.port or 5672)
    await tcp.open()
    try:
        yield tcp
    finally:
        await tcp.close()


@pytest.fixture(scope="session")
async def monthly_plan_id(attendance: AttendanceServiceStub) -> int:
    plans = await attendance.ListPlans(pb.ListPlansRequest())
    return next(plan.id for plan in plans.plans if plan.code == "mensal")


@pytest.fixture
def new_member(
    attendance: AttendanceServiceStub, monthly_plan_id: int
) -> Callable[..., Awaitable[pb.Member]]:
    async def register(**fields: object) -> pb.Member:
        request = pb.RegisterMemberRequest(
            name="Relay Member",
            email=f"relay-{uuid.uuid4().hex[:12]}@example.com",
            plan_id=monthly_plan_id,
            enrolled_at=ts(ago(days=400)),
            **fields,  # type: ignore[arg-type]
        )
        return (await attendance.RegisterMember(request)).member

    return register
