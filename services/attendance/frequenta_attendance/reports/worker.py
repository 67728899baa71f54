"""``python -m frequenta_attendance worker reports``: competing consumers of the
``daily-reports`` queue. Each message builds and stores one report in one transaction, then is
acked; a message that can never succeed (malformed, unknown job) goes to the dead-letter queue.
Run more copies to build more dates at once."""

import logging
from collections.abc import Callable

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta_attendance.bootstrap import gym_rules
from frequenta_attendance.clock import Clock, system_clock
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.reports import messages
from frequenta_attendance.reports.churn_risk import ChurnHighRisk
from frequenta_attendance.reports.handlers import (
    HighRiskCounter,
    UnknownJob,
    build_daily_report,
    no_churn_yet,
)
from frequenta_attendance.settings import AttendanceSettings
from frequenta_attendance.uow import SqlAlchemyUnitOfWork, UnitOfWork
from frequenta_kit.consumer import (
    Handler,
    PermanentFailure,
    WorkConsumer,
    WorkMessage,
    serve_until_signalled,
)
from frequenta_kit.database import create_engine, create_session_factory

log = logging.getLogger(__name__)

BUILT = Counter(
    "frequenta_reports_built_total",
    "Daily reports built and stored by this worker (a redelivered, finished job builds none).",
)


def report_handler(
    *,
    uow: Callable[[], UnitOfWork],
    clock: Clock,
    rules: GymRules,
    high_risk: HighRiskCounter,
) -> Handler:
    """The message handler: decode, build; unfixable messages become PermanentFailure."""

    async def handle(message: WorkMessage) -> None:
        try:
            request = messages.decode(message.body)
        except messages.MalformedMessage as error:
            raise PermanentFailure(str(error)) from None
        if message.message_id and message.message_id != str(request.job_id):
            raise PermanentFailure(
                f"message id {message.message_id} is not the job id {request.job_id}"
            )
        try:
            built = await build_daily_report(
                uow=uow(),
                clock=clock,
                rules=rules,
                high_risk=high_risk,
                request=request,
            )
        except UnknownJob as error:
            raise PermanentFailure(str(error)) from None
        if built is not None:
            BUILT.inc()

    return handle


def build_consumer(
    settings: AttendanceSettings,
    engine: AsyncEngine,
    *,
    clock: Clock = system_clock,
    high_risk: HighRiskCounter = no_churn_yet,
) -> WorkConsumer:
    session_factory = create_session_factory(engine)
    handler = report_handler(
        uow=lambda: SqlAlchemyUnitOfWork(session_factory),
        clock=clock,
        rules=gym_rules(settings),
        high_risk=high_risk,
    )
    return WorkConsumer(
        settings.rabbitmq_url,
        settings.topology,
        messages.QUEUE,
        handler,
        prefetch=settings.report_worker_prefetch,
    )


async def run_reports_worker(settings: AttendanceSettings) -> None:
    """The process's main: consume until SIGTERM/SIGINT, let the builds in flight finish."""
    engine = create_engine(
        settings.attendance_database_url, pool_size=settings.report_worker_prefetch + 1
    )
    high_risk = ChurnHighRisk(
        settings.churn_address,
        deadline=settings.churn_deadline_seconds,
        token=settings.internal_token,
    )
    try:
        await serve_until_signalled(
            [build_consumer(settings, engine, high_risk=high_risk)],
            grace=settings.shutdown_grace_seconds,
        )
    finally:
        await high_risk.close()
        await engine.dispose()
    log.info("reports worker stopped")
