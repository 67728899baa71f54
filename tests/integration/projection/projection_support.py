"""Helpers of the projection tests: events built as attendance builds them, publishing them on
the session's events exchange, and reading a projection back row by row."""

import uuid
from datetime import UTC, datetime, timedelta

import aio_pika
from aio_pika.abc import AbstractChannel
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.events.v1 import events_pb2 as ev
from frequenta_churn.settings import ChurnSettings
from frequenta_kit.broker import Topology, declare_events_exchange

MemberRow = tuple[int, str | None, int | None, datetime | None, datetime | None, str | None]
VisitRow = tuple[int, int, datetime, datetime | None]


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def ago(**delta: float) -> datetime:
    return now() - timedelta(**delta)


def ts(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def unique_member_id() -> int:
    """An id far above the ones attendance hands out, unique per call."""
    return 10**12 + uuid.uuid4().int % 10**11


def envelope(event_type: str, member_id: int, **payload: object) -> ev.EventEnvelope:
    return ev.EventEnvelope(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        occurred_at=ts(now()),
        schema_version=1,
        member_id=member_id,
        **payload,  # type: ignore[arg-type]
    )


def registered(member_id: int, enrolled: datetime, plan: str = "mensal", months: int = 1):
    return envelope(
        "member.registered",
        member_id,
        member_registered=ev.MemberRegistered(
            member_id=member_id,
            plan_id=1,
            plan_code=plan,
            plan_duration_months=months,
            enrolled_at=ts(enrolled),
        ),
    )


def cancelled(member_id: int, at: datetime, reason: str = "price") -> ev.EventEnvelope:
    return envelope(
        "membership.cancelled",
        member_id,
        membership_cancelled=ev.MembershipCancelled(
            member_id=member_id, cancelled_at=ts(at), reason=reason
        ),
    )


def check_in(member_id: int, visit_id: int, entered: datetime) -> ev.EventEnvelope:
    return envelope(
        "checkin.recorded",
        member_id,
        check_in_recorded=ev.CheckInRecorded(
            visit_id=visit_id, member_id=member_id, entered_at=ts(entered), source="turnstile"
        ),
    )


def check_out(member_id: int, visit_id: int, entered: datetime, exited: datetime):
    return envelope(
        "checkout.recorded",
        member_id,
        check_out_recorded=ev.CheckOutRecorded(
            visit_id=visit_id,
            member_id=member_id,
            entered_at=ts(entered),
            exited_at=ts(exited),
            duration_minutes=int((exited - entered).total_seconds() // 60),
        ),
    )


async def publish(
    channel: AbstractChannel, topology: Topology, event: ev.EventEnvelope | bytes, key: str = ""
) -> None:
    """Publish as the relay does (message id = event id, routing key = event type)."""
    exchange = await declare_events_exchange(channel, topology)
    if isinstance(event, bytes):
        message = aio_pika.Message(event, message_id=str(uuid.uuid4()), type=key)
    else:
        key = event.event_type
        message = aio_pika.Message(
            event.SerializeToString(),
            message_id=event.event_id,
            type=key,
            content_type="application/x-protobuf",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
    await exchange.publish(message, routing_key=key)


async def projection_rows(
    engine: AsyncEngine, member_ids: set[int] | None = None
) -> tuple[list[MemberRow], list[VisitRow]]:
    """The projection's members and visits (of ``member_ids``, or all), ordered by id, without
    the bookkeeping column atualizado_em."""
    where = "" if member_ids is None else " WHERE {} = ANY(CAST(:ids AS bigint[]))"
    params = {"ids": sorted(member_ids or ())}
    async with engine.connect() as connection:
        members = await connection.execute(
            text(
                "SELECT id, plano_codigo, plano_duracao_meses, data_matricula, data_cancelamento,"
                f" motivo_cancelamento FROM alunos{where.format('id')} ORDER BY id"
            ),
            params,
        )
        visits = await connection.execute(
            text(
                "SELECT id, aluno_id, data_entrada, data_saida FROM checkins"
                f"{where.format('aluno_id')} ORDER BY id"
            ),
            params,
        )
        return [tuple(m) for m in members], [tuple(v) for v in visits]  # type: ignore[misc]


async def inbox_count(engine: AsyncEngine, event_ids: list[str]) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(
            text(
                "SELECT count(*) FROM processed_events WHERE event_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": event_ids},
        )


def projection_settings(rabbitmq, database_url: str, **overrides: object) -> ChurnSettings:
    """Settings of a projection on the database at ``database_url``, with a queue of its own on
    the session's virtual host."""
    return ChurnSettings(
        churn_database_url=database_url,
        rabbitmq_url=rabbitmq.url,
        broker_namespace=rabbitmq.namespace,
        projection_queue=f"churn-projection-{uuid.uuid4().hex[:8]}",
        # Cache versions a rebuild bumps: not in the keys of a stack running on this machine.
        redis_key_prefix="frequenta-test",
        **overrides,  # type: ignore[arg-type]
    )
