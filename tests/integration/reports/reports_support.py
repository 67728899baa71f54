"""Helpers of the daily report tests: local instants, the outbox's report messages, and running
the worker's handler on one of them without a broker."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta_attendance.bootstrap import gym_rules
from frequenta_attendance.clock import Clock, system_clock
from frequenta_attendance.reports.handlers import HighRiskCounter, no_churn_yet
from frequenta_attendance.reports.worker import report_handler
from frequenta_attendance.settings import AttendanceSettings
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.consumer import WorkMessage
from frequenta_kit.database import create_session_factory

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def local(day: date, hour: int = 0, minute: int = 0, second: int = 0, tz=SAO_PAULO) -> datetime:
    """The UTC instant of a wall-clock time of the gym."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=tz).astimezone(UTC)


def ts(instant: datetime) -> Timestamp:
    encoded = Timestamp()
    encoded.FromDatetime(instant)
    return encoded


@dataclass(frozen=True)
class OutboxWork:
    message_id: str
    message_type: str
    content_type: str
    body: bytes


async def report_messages(engine: AsyncEngine, job_id: str | None = None) -> list[OutboxWork]:
    """The outbox's messages for the daily-reports queue (of one job if given), in order."""
    query = (
        "SELECT message_id::text, message_type, content_type, payload FROM outbox"
        " WHERE exchange = 'work' AND routing_key = 'daily-reports'"
    )
    if job_id is not None:
        query += " AND message_id = CAST(:job AS uuid)"
    async with engine.connect() as connection:
        rows = await connection.execute(text(query + " ORDER BY id"), {"job": job_id})
        return [OutboxWork(row[0], row[1], row[2], bytes(row[3])) for row in rows]


async def deliver(
    settings: AttendanceSettings,
    engine: AsyncEngine,
    message: OutboxWork,
    *,
    clock: Clock = system_clock,
    delivery_count: int = 0,
    high_risk: HighRiskCounter = no_churn_yet,
) -> None:
    """What the worker does with ``message`` (without the broker)."""
    sessions = create_session_factory(engine)
    handler = report_handler(
        uow=lambda: SqlAlchemyUnitOfWork(sessions),
        clock=clock,
        rules=gym_rules(settings),
        high_risk=high_risk,
    )
    await handler(WorkMessage(message.message_id, message.body, {}, delivery_count))
