"""Fixtures of the retraining tests: a simulated gym in an attendance server of its own (loaded
once), and per test a churn database made by the real migrations, the churn gRPC server
in-process, retrain workers consuming on a broker namespace of the test's own, and a recorder
of the trainings they run (which worker, when)."""

import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

import grpc
import pytest
from gym_loading import LoadedGym, attendance_with_gym, simulated_gym
from integration_support import SERVER_URL, unique_database_url
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta.churn.v1 import churn_pb2
from frequenta.churn.v1.churn_pb2_grpc import ChurnServiceStub
from frequenta_churn.bootstrap import build_server, system_clock
from frequenta_churn.registry import ModelRegistry
from frequenta_churn.retrain_worker import RetrainHandler, build_retrain_consumer
from frequenta_churn.retraining import RETRAINING_QUEUE
from frequenta_churn.settings import ChurnSettings
from frequenta_churn.trainer import fit as full_fit
from frequenta_churn.training_data import ExportedGym
from frequenta_churn.training_lock import TrainingLock
from frequenta_churn.uow import SqlAlchemyUnitOfWork
from frequenta_db.churn import init_churn_database
from frequenta_kit.broker import connect
from frequenta_kit.consumer import WorkConsumer
from frequenta_kit.database import create_engine, create_session_factory, drop_database
from frequenta_kit.publisher import WorkPublisher


@pytest.fixture(scope="session")
async def demo_gym() -> AsyncIterator[LoadedGym]:
    """200 members over 8 months (about 8,000 visits and 50 cancellations)."""
    async with attendance_with_gym(SERVER_URL, simulated_gym(200, 8, seed=3)) as gym:
        yield gym


@dataclass
class Trainings:
    """Wraps a fit function: records which worker trained, from when to when."""

    runs: list[tuple[str, float, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: int = 0
    max_running: int = 0

    def wrap(self, worker: str, fit: Callable[[ExportedGym], object]):
        def recorded(gym: ExportedGym):
            with self._lock:
                self._running += 1
                self.max_running = max(self.max_running, self._running)
            started = time.monotonic()
            try:
                return fit(gym)
            finally:
                with self._lock:
                    self._running -= 1
                    self.runs.append((worker, started, time.monotonic()))

        return recorded


@dataclass
class Churn:
    settings: ChurnSettings
    engine: AsyncEngine
    stub: ChurnServiceStub
    registry: ModelRegistry
    trainings: Trainings
    start_worker: Callable[..., Awaitable[WorkConsumer]]
    handler: Callable[..., RetrainHandler]

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(create_session_factory(self.engine))

    async def retrain(self, *, promote_if_better: bool = True) -> churn_pb2.RetrainingJob:
        reply = await self.stub.RequestRetraining(
            churn_pb2.RequestRetrainingRequest(promote_if_better=promote_if_better), timeout=10
        )
        return reply.job

    async def job(self, job_id: str) -> churn_pb2.RetrainingJob:
        request = churn_pb2.GetRetrainingJobRequest(job_id=job_id)
        return (await self.stub.GetRetrainingJob(request, timeout=5)).job


Fit = Callable[[ExportedGym], object]
FINISHED = {churn_pb2.RETRAINING_STATE_SUCCEEDED, churn_pb2.RETRAINING_STATE_FAILED}


@pytest.fixture
def finished(poll) -> Callable[..., Awaitable[churn_pb2.RetrainingJob]]:
    """``await finished(churn, job_id)``: the job once SUCCEEDED or FAILED (60 s at most)."""

    async def wait(churn: Churn, job_id: str, within: float = 60) -> churn_pb2.RetrainingJob:
        async def done():
            job = await churn.job(job_id)
            return job if job.state in FINISHED else None

        return await poll(done, within=within, interval=0.2, what=f"retraining job {job_id}")

    return wait


@pytest.fixture
async def new_churn(rabbitmq) -> AsyncIterator[Callable[[LoadedGym], Awaitable[Churn]]]:
    """``await new_churn(gym)``: churn over a fresh database, its gRPC server, and a way to
    start retrain workers training from ``gym``'s attendance."""
    made: list[tuple] = []

    async def new(gym: LoadedGym) -> Churn:
        url = unique_database_url("frequenta_test_registry")
        await init_churn_database(url)
        settings = ChurnSettings(
            churn_database_url=url,
            churn_grpc_port=0,
            rabbitmq_url=rabbitmq.url,
            broker_namespace=f"test-retrain-{uuid.uuid4().hex[:8]}",
            attendance_address=gym.address,
            training_lock_poll_seconds=0.1,
        )
        engine = create_engine(url, pool_size=5)
        publisher = WorkPublisher(settings.rabbitmq_url, settings.topology)
        server = build_server(settings, engine, publisher)
        await server.start()
        channel = grpc.aio.insecure_channel(server.address)
        attendance = grpc.aio.insecure_channel(gym.address)
        uow = partial(SqlAlchemyUnitOfWork, create_session_factory(engine))
        registry = ModelRegistry(uow, system_clock)
        trainings = Trainings()
        workers: list[WorkConsumer] = []
        locks: list[TrainingLock] = []
        others: list[grpc.aio.Channel] = []

        def consumer_for(name: str, fit: Fit | None, address: str | None = None) -> WorkConsumer:
            lock = TrainingLock(url, poll=settings.training_lock_poll_seconds)
            locks.append(lock)
            fit = fit or partial(full_fit, horizon_days=30, seed=0, tz=settings.tz)
            channel = attendance
            if address is not None:
                channel = grpc.aio.insecure_channel(address)
                others.append(channel)
            return build_retrain_consumer(
                settings,
                uow=uow,
                registry=registry,
                lock=lock,
                attendance=AttendanceServiceStub(channel),
                fit=trainings.wrap(name, fit),
            )

        def bare_handler(
            name: str = "handler", fit: Fit | None = None, attendance_address: str | None = None
        ) -> RetrainHandler:
            """The handler a worker would run, to call by hand (attendance at another address
            if given)."""
            return consumer_for(name, fit, attendance_address).handler  # type: ignore[return-value]

        async def start_worker(name: str = "worker", fit: Fit | None = None) -> WorkConsumer:
            consumer = consumer_for(name, fit)
            await consumer.start()
            workers.append(consumer)
            return consumer

        churn = Churn(
            settings,
            engine,
            ChurnServiceStub(channel),
            registry,
            trainings,
            start_worker,
            bare_handler,
        )
        made.append((churn, server, publisher, [channel, attendance, *others], workers, locks, url))
        return churn

    yield new
    for churn, server, publisher, channels, workers, locks, url in made:
        for worker in workers:
            await worker.stop(grace=30)
        await server.stop(grace=1)
        await publisher.close()
        for channel in channels:
            await channel.close()
        for lock in locks:
            await lock.close()
        await churn.engine.dispose()
        await drop_database(url)
        connection = await connect(churn.settings.rabbitmq_url)
        async with connection:
            broker = await connection.channel()
            topology = churn.settings.topology
            for queue in (
                topology.queue(RETRAINING_QUEUE),
                topology.dead_letter_queue(RETRAINING_QUEUE),
            ):
                await broker.queue_delete(queue)
