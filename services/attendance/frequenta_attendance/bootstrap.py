"""Wires the real adapters: engine -> unit of work -> servicers -> gRPC server."""

import logging
from collections.abc import Callable

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta_attendance import users_grpc
from frequenta_attendance.clock import Clock, system_clock
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.grpc_api import (
    AttendanceServicer,
    Dependencies,
    ImportLimits,
    registrar,
)
from frequenta_attendance.handlers.users import ensure_first_admin
from frequenta_attendance.passwords import Passwords
from frequenta_attendance.settings import AttendanceSettings
from frequenta_attendance.uow import SqlAlchemyUnitOfWork, UnitOfWork
from frequenta_kit.cache_versions import CacheVersions
from frequenta_kit.database import create_session_factory
from frequenta_kit.errors import DomainError
from frequenta_kit.grpc_auth import server_token
from frequenta_kit.grpc_server import GrpcServer

log = logging.getLogger(__name__)


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
    attendance = registrar(AttendanceServicer(deps))
    users = users_grpc.UserServicer(deps.uow, Passwords())

    def register(server: grpc.aio.Server) -> list[str]:
        return [*attendance(server), users_grpc.add_to_server(users, server)]

    return GrpcServer(
        register,
        host=settings.attendance_grpc_host,
        port=settings.attendance_grpc_port,
        max_message_bytes=settings.grpc_max_message_bytes,
        internal_token=server_token(settings.internal_token, settings.environment),
    )


async def create_first_admin(
    settings: AttendanceSettings, uow: Callable[[], UnitOfWork], passwords: Passwords
) -> None:
    """The first admin from the settings, when no active admin exists. A database that cannot
    be reached only postpones it to the next start (the server still starts)."""
    password = settings.first_admin_password
    if password is None:
        log.info("no FREQUENTA_ADMIN_PASSWORD set: no first admin created")
        return
    try:
        await ensure_first_admin(
            uow=uow, passwords=passwords, login=settings.admin_login, password=password
        )
    except DomainError as error:
        log.warning("first admin not created: %s %s", error.code, error.message)


def unit_of_work_factory(engine: AsyncEngine) -> Callable[[], UnitOfWork]:
    session_factory = create_session_factory(engine)
    return lambda: SqlAlchemyUnitOfWork(session_factory)
