"""Wires the real adapters: engine -> unit of work, broker publisher, model registry, the risk
serving (model holder, snapshot, recorder) -> servicer -> server."""

import asyncio
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta_churn import mappers
from frequenta_churn.grpc_api import ChurnServicer, Dependencies, registrar
from frequenta_churn.ml.records import GymColumns
from frequenta_churn.models import RetrainingJob
from frequenta_churn.registry import ModelRegistry
from frequenta_churn.retention.handlers import assign_groups
from frequenta_churn.retention.policy import RetentionPolicy
from frequenta_churn.retraining import RETRAINING_QUEUE, CommandSender
from frequenta_churn.serving.handlers import Serving
from frequenta_churn.serving.member_reads import PgMemberReader
from frequenta_churn.serving.model import ModelHolder
from frequenta_churn.serving.recorder import RiskRecorder
from frequenta_churn.serving.snapshot import RiskSnapshot
from frequenta_churn.serving.snapshots import OnSnapshot, SnapshotKeeper
from frequenta_churn.settings import ChurnSettings
from frequenta_churn.uow import SqlAlchemyUnitOfWork
from frequenta_kit.cache_versions import CacheVersions
from frequenta_kit.database import create_session_factory
from frequenta_kit.grpc_auth import server_token
from frequenta_kit.grpc_server import GrpcServer
from frequenta_kit.publisher import WorkPublisher

log = logging.getLogger(__name__)


def system_clock() -> datetime:
    return datetime.now(UTC)


def retraining_sender(publisher: WorkPublisher) -> CommandSender:
    async def send(job: RetrainingJob) -> None:
        await publisher.publish(
            RETRAINING_QUEUE,
            mappers.retrain_command(job).SerializeToString(),
            message_id=str(job.id),
            message_type="model.retrain",
            content_type="application/x-protobuf",
        )

    return send


class ChurnServer:
    """The gRPC server and the risk serving's background loops (model poll, snapshot, recorder),
    started and stopped together."""

    def __init__(self, grpc_server: GrpcServer, serving: Serving, settings: ChurnSettings) -> None:
        self.grpc = grpc_server
        self.serving = serving
        self._settings = settings
        self._stop = asyncio.Event()
        self._loops: list[asyncio.Task] = []

    @property
    def address(self) -> str:
        return self.grpc.address

    @property
    def port(self) -> int:
        return self.grpc.port

    async def start(self) -> None:
        self._stop.clear()
        try:
            await self.serving.holder.refresh()  # the serving version, loaded before any call
        except Exception:
            log.warning("no serving model loaded at start; the poll retries", exc_info=True)
        self._loops = [
            asyncio.create_task(
                self.serving.holder.run(self._settings.model_poll_seconds, self._stop)
            ),
            asyncio.create_task(self.serving.snapshots.run(self._stop)),
            asyncio.create_task(self.serving.recorder.run(self._stop)),
        ]
        await self.grpc.start()

    async def stop(self, grace: float = 10.0) -> None:
        """Drain the calls in flight, then stop the loops (the recorder writes what waits)."""
        await self.grpc.stop(grace)
        self._stop.set()
        results = await asyncio.gather(*self._loops, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.warning("a serving loop ended with %r", result)
        self._loops = []
        await self.serving.snapshots.settled()
        await self.serving.members.close()

    async def serve_until_signalled(self, grace: float = 10.0) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        await stop.wait()
        log.info("shutdown signal received; draining for up to %.0fs", grace)
        await self.stop(grace)


def bump_on_changes(holder: ModelHolder, versions: CacheVersions | None) -> OnSnapshot:
    """Bump the cache versions after this process swaps its model (every member's risk and the
    list change; awaited before a promotion or rollback answers) and after it rescored the
    at-risk list's snapshot; the latter is returned, to be called with each new snapshot
    (docs/cache.md)."""

    async def model_swapped(model: object) -> None:
        if versions is not None:
            await versions.bump_model()

    async def snapshot_scored(snapshot: object) -> None:
        if versions is not None:
            await versions.bump_list()

    holder.on_swap(model_swapped)
    return snapshot_scored


def build_serving(
    uow: Callable[[], SqlAlchemyUnitOfWork],
    registry: ModelRegistry,
    settings: ChurnSettings,
    database_url: str,
    clock: Callable[[], datetime] = system_clock,
    versions: CacheVersions | None = None,
) -> Serving:
    holder = ModelHolder(registry, clock)
    recorder = RiskRecorder(uow, settings.tz, interval=settings.risk_flush_seconds)
    list_changed = bump_on_changes(holder, versions)
    retention = RetentionPolicy.of(settings)

    async def snapshot_scored(snapshot: RiskSnapshot) -> None:
        await list_changed(snapshot)
        await recorder.record_snapshot(snapshot)
        drawn = await assign_groups(uow=uow(), snapshot=snapshot, policy=retention)
        if drawn:
            log.info("retention groups drawn for %d members at high risk", len(drawn))

    async def read_active(tz: ZoneInfo) -> GymColumns:
        async with uow() as unit:
            return await unit.projection.active_columns(tz)

    snapshots = SnapshotKeeper(
        holder,
        read_active,
        clock,
        settings.tz,
        interval=settings.risk_snapshot_seconds,
        on_snapshot=snapshot_scored,
    )
    members = PgMemberReader(database_url)
    return Serving(holder, members, snapshots, recorder, clock, settings.tz, retention)


def build_server(
    settings: ChurnSettings,
    engine: AsyncEngine,
    publisher: WorkPublisher,
    clock: Callable[[], datetime] = system_clock,
    versions: CacheVersions | None = None,
) -> ChurnServer:
    """The churn server (not started); a model swap and a rescored snapshot bump the cache
    ``versions``."""
    session_factory = create_session_factory(engine)

    def uow() -> SqlAlchemyUnitOfWork:
        # Versioned: a contact recorded or a group drawn bumps the member's and the list's
        # cache versions after its commit (uow.py); the other use cases change no member.
        return SqlAlchemyUnitOfWork(session_factory, versions)

    registry = ModelRegistry(uow, clock)
    database_url = engine.url.render_as_string(hide_password=False)
    serving = build_serving(uow, registry, settings, database_url, clock, versions)
    deps = Dependencies(
        uow=uow,
        send_retraining=retraining_sender(publisher),
        clock=clock,
        registry=registry,
        serving=serving,
    )
    server = GrpcServer(
        registrar(ChurnServicer(deps)),
        host=settings.churn_grpc_host,
        port=settings.churn_grpc_port,
        internal_token=server_token(settings.internal_token, settings.environment),
    )
    return ChurnServer(server, serving, settings)
