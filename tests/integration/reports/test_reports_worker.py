"""The daily-reports worker end to end through the real broker: GenerateDailyReport writes the
job and its message, the outbox relay publishes it, the worker (a competing consumer of the
work queue) builds and stores the report, and the report is readable. Messages that can never
be built end in the dead-letter queue with their reason. A fresh database and broker namespace
per test."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

import aio_pika
import grpc
import pytest
from reports_support import SAO_PAULO, local, ts
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta_attendance.bootstrap import build_server
from frequenta_attendance.relay import Relay
from frequenta_attendance.reports import messages
from frequenta_attendance.reports.worker import build_consumer
from frequenta_attendance.settings import AttendanceSettings
from frequenta_kit.broker import Topology, connect
from frequenta_kit.consumer import ERROR_HEADER, WorkConsumer, queue_depths
from frequenta_kit.database import create_engine

DAY = date(2025, 7, 7)


@dataclass
class Stack:
    settings: AttendanceSettings
    engine: AsyncEngine
    stub: AttendanceServiceStub
    workers: list[WorkConsumer]

    @property
    def topology(self) -> Topology:
        return self.settings.topology


@pytest.fixture
async def stack(fresh_database_url: str, rabbitmq) -> AsyncIterator[Stack]:
    """The attendance server, the relay and two report workers on a fresh database, under a
    broker namespace of the test's own."""
    settings = AttendanceSettings(
        attendance_database_url=fresh_database_url,
        attendance_grpc_port=0,
        gym_timezone="America/Sao_Paulo",
        rabbitmq_url=rabbitmq.url,
        broker_namespace=f"reports-{uuid.uuid4().hex[:8]}",
        relay_poll_interval_seconds=0.2,
    )
    engine = create_engine(fresh_database_url)
    server = build_server(settings, engine)
    await server.start()
    workers = [build_consumer(settings, engine) for _ in range(2)]
    stop = asyncio.Event()
    relay = None
    try:
        for worker in workers:
            await worker.start()
        relay = asyncio.create_task(Relay(settings, engine).run(stop))
        async with grpc.aio.insecure_channel(server.address) as channel:
            yield Stack(settings, engine, AttendanceServiceStub(channel), workers)
    finally:
        stop.set()
        if relay is not None:
            await asyncio.wait_for(relay, 30)
        for worker in workers:
            await worker.stop(grace=5)
        await server.stop(grace=0)
        await engine.dispose()
        await delete_namespace(rabbitmq.url, settings.topology)


async def delete_namespace(url: str, topology: Topology) -> None:
    connection = await connect(url)
    async with connection:
        channel = await connection.channel()
        for queue in (
            topology.queue(messages.QUEUE),
            topology.dead_letter_queue(messages.QUEUE),
        ):
            await channel.queue_delete(queue)
        for exchange in (
            topology.work_exchange,
            topology.dead_letter_exchange,
            topology.events_exchange,
        ):
            await channel.exchange_delete(exchange)


@contextlib.asynccontextmanager
async def broker_channel(stack: Stack):
    connection = await connect(stack.settings.rabbitmq_url)
    async with connection:
        yield await connection.channel(publisher_confirms=True)


async def test_a_report_requested_over_grpc_is_built_by_the_worker(stack, poll):
    plans = {p.code: p.id for p in (await stack.stub.ListPlans(pb.ListPlansRequest())).plans}
    enrolled = local(DAY, 6)
    member = await stack.stub.RegisterMember(
        pb.RegisterMemberRequest(
            name="Worker Member",
            email=f"worker-{uuid.uuid4().hex[:8]}@example.com",
            plan_id=plans["anual"],
            enrolled_at=ts(enrolled),
        )
    )
    visits = [(local(DAY, 7, 5), local(DAY, 8, 47, 30)), (local(DAY, 19, 30), None)]
    for entered, exited in visits:
        request = pb.RecordCheckInRequest(member_id=member.member.id, entered_at=ts(entered))
        if exited is not None:
            request.exited_at.CopyFrom(ts(exited))
        await stack.stub.RecordCheckIn(request)

    queued = await stack.stub.GenerateDailyReport(
        pb.GenerateDailyReportRequest(date=DAY.isoformat())
    )

    async def built() -> pb.DailyReport | None:
        try:
            reply = await stack.stub.GetDailyReport(pb.GetDailyReportRequest(date=queued.date))
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND
            return None
        return reply.report

    report = await poll(built, within=20, what="the worker to build the report")
    by_hour = [0] * 24
    for entered, _ in visits:
        by_hour[entered.astimezone(SAO_PAULO).hour] += 1
    assert (report.visits, report.unique_members, report.new_members) == (2, 1, 1)
    assert [h.visits for h in report.by_hour] == by_hour
    assert [(p.plan_code, p.visits) for p in report.by_plan] == [("anual", 2)]
    assert report.average_visit_minutes == (visits[0][1] - visits[0][0]) // timedelta(minutes=1)

    async def drained() -> bool:
        async with broker_channel(stack) as channel:
            return await queue_depths(channel, stack.topology, messages.QUEUE) == (0, 0)

    await poll(drained, within=10, what="the queue to be empty, nothing dead-lettered")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not a daily report build request"),
        (
            json.dumps(
                {"schema_version": 1, "job_id": str(uuid.uuid4()), "date": "2025-07-07"}
            ).encode(),
            "no job",
        ),
    ],
)
async def test_a_message_that_can_never_be_built_is_dead_lettered(stack, poll, body, reason):
    message_id = json.loads(body)["job_id"] if body.startswith(b'{"') else str(uuid.uuid4())
    async with broker_channel(stack) as channel:
        exchange = await channel.get_exchange(stack.topology.work_exchange)
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id),
            routing_key=stack.topology.queue(messages.QUEUE),
        )

        async def dead_lettered() -> bool:
            return await queue_depths(channel, stack.topology, messages.QUEUE) == (0, 1)

        await poll(dead_lettered, within=15, what="the message in the dead-letter queue")
        dead = await channel.get_queue(stack.topology.dead_letter_queue(messages.QUEUE))
        message = await dead.get(timeout=5)
        assert message.message_id == message_id
        assert message.headers[ERROR_HEADER].startswith("permanent: ")
        assert reason in message.headers[ERROR_HEADER]
        await message.ack()
