"""A simulated gym (tools/frequenta_sim) written into an attendance server of its own, through
attendance's public surface only: members registered and cancelled over gRPC (back-dated), the
visits through the bulk-import handlers (submit_batch, then each chunk processed in-process
instead of by the ingestion worker). No attendance table is written directly."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import make_url

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta_attendance import chunks
from frequenta_attendance.bootstrap import build_server, gym_rules
from frequenta_attendance.clock import system_clock
from frequenta_attendance.domain.batch import RawRow
from frequenta_attendance.domain.enums import CheckInSource
from frequenta_attendance.handlers.imports import process_chunk, submit_batch
from frequenta_attendance.settings import AttendanceSettings
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_db.attendance import init_attendance_database
from frequenta_gateway.schemas.members import CancellationReason
from frequenta_kit.database import create_engine, create_session_factory, drop_database
from frequenta_sim.generator import simulate
from frequenta_sim.gym import SimulatedGym
from frequenta_sim.params import SimParams
from frequenta_sim.visits import NO_EXIT

CHUNK_ROWS = 5000


def simulated_gym(members: int, months: int, seed: int) -> SimulatedGym:
    """A gym whose history ends a minute ago (e-mails carry the seed: use one per run)."""
    until = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return simulate(replace(SimParams(), members=members, months=months), seed=seed, until=until)


def _ts(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


@dataclass(frozen=True)
class LoadedGym:
    address: str
    members: int
    visits: int
    cancellations: int


async def _register(stub: AttendanceServiceStub, gym: SimulatedGym) -> list[int]:
    plans = {p.code: p.id for p in (await stub.ListPlans(pb.ListPlansRequest())).plans}
    limit = asyncio.Semaphore(16)

    async def one(member) -> int:
        async with limit:
            reply = await stub.RegisterMember(
                pb.RegisterMemberRequest(
                    name=member.name,
                    email=member.email,
                    plan_id=plans[member.plan_code],
                    enrolled_at=_ts(member.enrolled_at),
                ),
                timeout=30,
            )
        return reply.member.id

    return list(await asyncio.gather(*(one(member) for member in gym.members)))


async def _import_visits(
    settings: AttendanceSettings, session_factory, gym: SimulatedGym, ids: list[int]
) -> int:
    visits = gym.visits
    rows = [
        RawRow(
            member_id=ids[member],
            entered_us=int(entered),
            exited_us=None if exited == NO_EXIT else int(exited),
        )
        for member, entered, exited in zip(
            visits.member.tolist(),
            visits.entered_us.tolist(),
            visits.exited_us.tolist(),
            strict=True,
        )
    ]
    job = await submit_batch(
        uow=SqlAlchemyUnitOfWork(session_factory),
        clock=system_clock,
        rows=rows,
        source=None,
        max_rows=len(rows),
        chunk_rows=CHUNK_ROWS,
    )
    accepted = 0
    for chunk in chunks.split(job.id, CheckInSource.IMPORT, rows, CHUNK_ROWS):
        outcome = await process_chunk(
            uow=SqlAlchemyUnitOfWork(session_factory),
            clock=system_clock,
            rules=gym_rules(settings),
            chunk=chunk,
        )
        accepted += outcome.accepted
    assert accepted == len(rows), f"{len(rows) - accepted} simulated visits were refused"
    return accepted


async def _cancel(stub: AttendanceServiceStub, gym: SimulatedGym, ids: list[int]) -> int:
    leaving = [(i, m) for i, m in enumerate(gym.members) if m.cancelled_at is not None]
    for index, member in leaving:
        reason = CancellationReason(member.reason).name
        await stub.CancelMembership(
            pb.CancelMembershipRequest(
                member_id=ids[index],
                cancelled_at=_ts(member.cancelled_at),
                reason=pb.CancellationReason.Value(f"CANCELLATION_REASON_{reason}"),
                note="simulado",
            ),
            timeout=30,
        )
    return len(leaving)


@asynccontextmanager
async def attendance_with_gym(
    server_url: str, gym: SimulatedGym, *, cancellations: bool = True
) -> AsyncIterator[LoadedGym]:
    """An attendance server on a database of its own (dropped afterwards) holding ``gym``;
    without ``cancellations``, every member stays active."""
    url = make_url(server_url).set(database=f"frequenta_test_gym_{uuid.uuid4().hex[:8]}")
    database_url = url.render_as_string(hide_password=False)
    await init_attendance_database(database_url)
    engine = create_engine(database_url)
    settings = AttendanceSettings(
        attendance_database_url=database_url,
        attendance_grpc_port=0,
        gym_timezone="America/Sao_Paulo",
    )
    server = build_server(settings, engine)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = AttendanceServiceStub(channel)
            ids = await _register(stub, gym)
            visits = await _import_visits(settings, create_session_factory(engine), gym, ids)
            cancelled = await _cancel(stub, gym, ids) if cancellations else 0
        yield LoadedGym(server.address, len(ids), visits, cancelled)
    finally:
        await server.stop(grace=0)
        await engine.dispose()
        await drop_database(database_url)
