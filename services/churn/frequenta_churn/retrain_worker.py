"""``python -m frequenta_churn worker retrain``: the consumer of the ``model-retraining`` queue.

Each command is one job: take the training lock (one training at a time across every worker;
a second job waits for it, training_lock.py), mark the job RUNNING, stream the gym out of
attendance (training_data.py), train in a thread (the CPU work, single-threaded, while the
event loop keeps the broker's heartbeats), then register the version, promote it if it is the
first or if the command asks and it wins, and mark the job SUCCEEDED, all in one transaction.

- A redelivered command of a finished job is acknowledged and does nothing; one of a job left
  RUNNING by a worker that died is run again (the lock proves no one else runs it).
- Too little history (no cancellation yet, too few snapshots): the job FAILS with the reason;
  so does any error of the training itself (run again, it would fail again).
- Attendance unreachable: the consumer retries in place (Unavailable), then requeues; any other
  failure outside the training (the database) is requeued. On the last delivery the job FAILS
  with the reason instead. A malformed command or an unknown job is dead-lettered.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from google.protobuf.message import DecodeError

from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta.churn.v1 import churn_pb2
from frequenta_churn import retraining
from frequenta_churn.bootstrap import system_clock
from frequenta_churn.registry import ModelRegistry
from frequenta_churn.settings import ChurnSettings
from frequenta_churn.training_data import ExportedGym, NotEnoughData, export_gym
from frequenta_churn.training_lock import TrainingLock
from frequenta_churn.uow import SqlAlchemyUnitOfWork, UnitOfWork
from frequenta_kit import grpc_channels
from frequenta_kit.consumer import (
    PermanentFailure,
    WorkConsumer,
    WorkMessage,
    serve_until_signalled,
)
from frequenta_kit.database import create_engine, create_session_factory
from frequenta_kit.errors import NotFound, Unavailable

if TYPE_CHECKING:
    from frequenta_churn.ml.training import TrainingResult

log = logging.getLogger(__name__)

Export = Callable[[datetime], Awaitable[ExportedGym]]
Fit = Callable[[ExportedGym], "TrainingResult"]


def decode(message: WorkMessage) -> tuple[uuid.UUID, churn_pb2.RetrainModelCommand]:
    try:
        command = churn_pb2.RetrainModelCommand.FromString(message.body)
        job_id = uuid.UUID(command.job_id)
    except (DecodeError, ValueError) as error:
        raise PermanentFailure(f"not a RetrainModelCommand: {error}") from None
    if message.message_id and message.message_id != command.job_id:
        raise PermanentFailure(f"message id {message.message_id} is not the job id {job_id}")
    return job_id, command


@dataclass
class RetrainHandler:
    """The WorkConsumer handler of the retraining queue."""

    uow: Callable[[], UnitOfWork]
    registry: ModelRegistry
    lock: TrainingLock
    export: Export
    fit: Fit
    clock: Callable[[], datetime]
    delivery_limit: int

    async def __call__(self, message: WorkMessage) -> None:
        job_id, command = decode(message)
        async with self.lock.held(str(job_id)):
            await self._run(job_id, command, last_delivery=self._last(message))

    def _last(self, message: WorkMessage) -> bool:
        return message.delivery_count + 1 >= self.delivery_limit

    async def _run(
        self, job_id: uuid.UUID, command: churn_pb2.RetrainModelCommand, *, last_delivery: bool
    ) -> None:
        try:
            job = await retraining.start_job(uow=self.uow(), job_id=job_id, clock=self.clock)
        except NotFound as error:
            raise PermanentFailure(error.message) from None
        if job is None:
            log.info("retraining job %s has finished already; nothing to do", job_id)
            return
        log.info("retraining job %s running", job_id)
        try:
            await self._train(job_id, command)
        except Exception as error:
            if not last_delivery:
                raise  # Unavailable: retried in place by the consumer; anything else: requeued
            reason = error.message if isinstance(error, Unavailable) else f"{error}"
            await self._fail(job_id, f"{reason}; gave up after every delivery")

    async def _train(self, job_id: uuid.UUID, command: churn_pb2.RetrainModelCommand) -> None:
        gym = await self.export(self.clock())
        try:
            result = await asyncio.to_thread(self.fit, gym)
        except NotEnoughData as error:
            await self._fail(job_id, str(error))
            return
        except Exception as error:  # ParityError, or a bug: run again, it would fail again
            log.exception("training of job %s failed", job_id)
            await self._fail(job_id, f"training failed: {type(error).__name__}: {error}")
            return
        registration = await self.registry.register(
            result, promote_if_better=command.promote_if_better, job_id=job_id
        )
        log.info(
            "retraining job %s succeeded in %.1fs: %s%s",
            job_id,
            gym.seconds + sum(result.seconds.values()),
            registration.version,
            " (serving)" if registration.promoted else " (not promoted)",
        )

    async def _fail(self, job_id: uuid.UUID, error: str) -> None:
        await retraining.fail_job(uow=self.uow(), job_id=job_id, clock=self.clock, error=error)


def build_retrain_consumer(
    settings: ChurnSettings,
    *,
    uow: Callable[[], UnitOfWork],
    registry: ModelRegistry,
    lock: TrainingLock,
    attendance: AttendanceServiceStub,
    fit: Fit | None = None,
    clock: Callable[[], datetime] = system_clock,
) -> WorkConsumer:
    if fit is None:
        from frequenta_churn.trainer import fit as train  # scikit-learn: this process only

        fit = partial(
            train,
            horizon_days=settings.training_horizon_days,
            seed=settings.training_seed,
            tz=settings.tz,
        )
    handler = RetrainHandler(
        uow=uow,
        registry=registry,
        lock=lock,
        export=lambda as_of: export_gym(
            attendance, as_of=as_of, deadline=settings.export_timeout_seconds
        ),
        fit=fit,
        clock=clock,
        delivery_limit=settings.topology.delivery_limit,
    )
    return WorkConsumer(
        settings.rabbitmq_url,
        settings.topology,
        retraining.RETRAINING_QUEUE,
        handler,
        prefetch=1,
    )


async def run_retrain_worker(settings: ChurnSettings) -> None:
    """The process's main: consume until SIGTERM/SIGINT, let the job in flight finish."""
    engine = create_engine(settings.churn_database_url, pool_size=2)
    session_factory = create_session_factory(engine)
    lock = TrainingLock(settings.churn_database_url, poll=settings.training_lock_poll_seconds)
    channel = grpc_channels.channel(
        settings.attendance_address,
        service_config=grpc_channels.retrying_reads(grpc_channels.ATTENDANCE_READS),
        token=settings.internal_token,
    )

    def uow() -> UnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    try:
        consumer = build_retrain_consumer(
            settings,
            uow=uow,
            registry=ModelRegistry(uow, system_clock),
            lock=lock,
            attendance=AttendanceServiceStub(channel),
        )
        await serve_until_signalled([consumer], grace=settings.shutdown_grace_seconds)
    finally:
        await channel.close()
        await lock.close()
        await engine.dispose()
    log.info("retrain worker stopped")
