"""``python -m frequenta_churn rebuild-projection``: fill the projection from attendance's export
streams (ExportMembers, ExportVisits), merged in batches like the live events.

1. The projection's event queue is declared (and bound) first: every event published from then
   on waits in it, so the export plus the events after its start cover everything.
2. Members, then visits, are streamed from attendance and merged ``rebuild_batch_size`` rows a
   transaction. The live consumer may run meanwhile: the merges commute.
Running it again is harmless; if it fails half-way (attendance or the database away), run it
again. docs/churn.md has the procedure for a rebuild into a fresh database.
"""

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta_churn.projection.facts import (
    EVENT_TYPES,
    MemberFacts,
    VisitFacts,
    exported_member,
    exported_visit,
)
from frequenta_churn.projection.handlers import RebuildCounts, rebuild
from frequenta_churn.settings import ChurnSettings
from frequenta_churn.uow import SqlAlchemyUnitOfWork
from frequenta_kit import grpc_channels
from frequenta_kit.broker import connect, event_queue
from frequenta_kit.cache_versions import CacheVersions
from frequenta_kit.database import create_engine, create_session_factory

log = logging.getLogger(__name__)

EXPORT_HORIZON = timedelta(days=1)


async def exported_members(
    stub: AttendanceServiceStub, *, deadline: float
) -> AsyncIterator[MemberFacts]:
    async for batch in stub.ExportMembers(pb.ExportMembersRequest(), timeout=deadline):
        for member in batch.members:
            yield exported_member(member)


def _export_horizon() -> Timestamp:
    """The end of the visits asked for. Unset, ExportVisits stops at attendance's now, and would
    leave out a visit entered slightly in the future (within attendance's clock skew) whose event
    was published before the queue was bound: lost for good. A day ahead covers any skew."""
    horizon = Timestamp()
    horizon.FromDatetime(datetime.now(UTC) + EXPORT_HORIZON)
    return horizon


async def exported_visits(
    stub: AttendanceServiceStub, *, deadline: float
) -> AsyncIterator[VisitFacts]:
    request = pb.ExportVisitsRequest(until=_export_horizon())
    async for batch in stub.ExportVisits(request, timeout=deadline):
        for visit in batch.visits:
            yield exported_visit(visit)


async def declare_projection_queue(settings: ChurnSettings) -> None:
    connection = await connect(settings.rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        await event_queue(EVENT_TYPES)(channel, settings.topology, settings.projection_queue)


async def run_rebuild(settings: ChurnSettings) -> RebuildCounts:
    await declare_projection_queue(settings)
    log.info(
        "queue %s declared; events from now on wait in it. Streaming attendance's exports from %s",
        settings.topology.queue(settings.projection_queue),
        settings.attendance_address,
    )
    engine = create_engine(settings.churn_database_url, pool_size=2)
    try:
        session_factory = create_session_factory(engine)
        reads = grpc_channels.retrying_reads(grpc_channels.ATTENDANCE_READS)
        async with (
            CacheVersions.open(settings) as versions,
            grpc_channels.channel(
                settings.attendance_address, service_config=reads, token=settings.internal_token
            ) as channel,
        ):
            stub = AttendanceServiceStub(channel)
            deadline = settings.export_timeout_seconds
            counts = await rebuild(
                uow=lambda: SqlAlchemyUnitOfWork(session_factory, versions),
                members=exported_members(stub, deadline=deadline),
                visits=exported_visits(stub, deadline=deadline),
                batch_size=settings.rebuild_batch_size,
            )
    finally:
        await engine.dispose()
    log.info(
        "projection rebuilt: %d members and %d visits merged in %.1fs",
        counts.members,
        counts.visits,
        counts.seconds,
    )
    return counts
