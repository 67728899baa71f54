"""Wires the real adapters: engine -> unit of work -> servicer -> gRPC server."""

from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta_attendance.clock import Clock, system_clock
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.grpc_api import (
    AttendanceServicer,
    Dependencies,
    ImportLimits,
    registrar,
)
from frequenta_attendance.settings import AttendanceSettings
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.cache_versions import CacheVersions
from frequenta_kit.database import create_session_factory
from frequenta_kit.grpc_auth import server_token
from frequenta_kit.grpc_server import GrpcServer


def gym_rules(settings: AttendanceSettings) -> GymRules:
    return GymRules(tz=settings.tz, clock_skew=settings.clock_skew, max_visit=settings.max_visit)


def build_server(
    settings: AttendanceSettings,
    engine: AsyncEngine,
    *,
    clock: Clock = system_clock,
    versions: CacheVersions | None = None,
) -> GrpcServer:
    """The attendance gRPC server (not started) on the configured host and port; its commits
    bump the cache ``versions`` of what they changed."""
    session_factory = create_session_factory(engine)
    deps = Dependencies(
        uow=lambda: SqlAlchemyUnitOfWork(session_factory, versions),
        clock=clock,
        rules=gym_rules(settings),
        limits=ImportLimits(
            max_rows=settings.import_max_rows,
            chunk_rows=settings.import_chunk_rows,
            stream_max_events=settings.stream_max_events,
        ),
    )
    return GrpcServer(
        registrar(AttendanceServicer(deps)),
        host=settings.attendance_grpc_host,
        port=settings.attendance_grpc_port,
        max_message_bytes=settings.grpc_max_message_bytes,
        internal_token=server_token(settings.internal_token, settings.environment),
    )
