"""The SQL of daily reports: the day's aggregates, the stored reports and the build jobs.

The aggregates are one statement (one snapshot), so the figures of a report always agree with
each other even while check-ins arrive.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Integer, Numeric, column, func, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta_attendance.domain.report_jobs import ReportOrigin
from frequenta_attendance.models import DailyReportRecord, ReportJob
from frequenta_attendance.reports.figures import DailyReport, DayAggregates, ranked_plans

# pg_advisory_xact_lock(class, key) keys: builds of one date are serialised on (class, its
# ordinal); the scheduler's tick takes (class, 0), which no date has.
_LOCK_CLASS = 0x52505254
_SCHEDULER_KEY = 0

# Entries of [start, end) with their member's plan, counted every way the report needs.
# Quarter-hour buckets are keyed by their UTC start in epoch seconds (independent of the
# session's TimeZone).
_DAY_AGGREGATES = text(
    """
    WITH v AS (
        SELECT c.aluno_id, c.data_entrada, c.data_saida, p.codigo
        FROM checkins c
        JOIN alunos a ON a.id = c.aluno_id
        JOIN planos p ON p.id = a.plano_id
        WHERE c.data_entrada >= :start AND c.data_entrada < :end
    )
    SELECT
        (SELECT count(*) FROM v) AS visits,
        (SELECT count(DISTINCT aluno_id) FROM v) AS unique_members,
        (SELECT count(data_saida) FROM v) AS finished_visits,
        (SELECT coalesce(sum(floor(extract(epoch FROM data_saida - data_entrada) / 60)), 0)
           FROM v WHERE data_saida IS NOT NULL) AS finished_minutes,
        (SELECT coalesce(jsonb_object_agg(bucket, n), '{}'::jsonb) FROM (
            SELECT extract(epoch FROM date_bin(
                       '15 minutes', data_entrada, TIMESTAMPTZ '2000-01-01 00:00:00+00'
                   ))::bigint AS bucket,
                   count(*) AS n
            FROM v GROUP BY 1) b) AS entries_by_bucket,
        (SELECT coalesce(jsonb_object_agg(codigo, n), '{}'::jsonb) FROM (
            SELECT codigo, count(*) AS n FROM v GROUP BY codigo) p) AS visits_by_plan,
        (SELECT count(*) FROM alunos
           WHERE data_matricula >= :start AND data_matricula < :end) AS new_members,
        (SELECT count(*) FROM alunos
           WHERE data_cancelamento >= :start AND data_cancelamento < :end) AS cancellations
    """
).columns(
    column("visits", Integer),
    column("unique_members", Integer),
    column("finished_visits", Integer),
    column("finished_minutes", Numeric),
    column("entries_by_bucket", JSONB),
    column("visits_by_plan", JSONB),
    column("new_members", Integer),
    column("cancellations", Integer),
)


def _report(record: DailyReportRecord) -> DailyReport:
    return DailyReport(
        day=record.day,
        visits=record.visits,
        unique_members=record.unique_members,
        visits_by_hour=tuple(record.visits_by_hour),
        visits_by_plan=ranked_plans(record.visits_by_plan),
        average_visit_minutes=record.average_visit_minutes,
        new_members=record.new_members,
        cancellations=record.cancellations,
        high_risk_members=record.high_risk_members,
        generated_at=record.generated_at,
    )


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- building --------------------------------------------------------------------------------

    async def lock_day(self, day: date) -> None:
        """Wait for, then hold until the transaction ends, the right to build ``day``."""
        await self._session.execute(
            select(func.pg_advisory_xact_lock(_LOCK_CLASS, day.toordinal()))
        )

    async def aggregate_day(self, start: datetime, end: datetime) -> DayAggregates:
        """The counts of the entries, enrollments and cancellations in [start, end)."""
        row = (await self._session.execute(_DAY_AGGREGATES, {"start": start, "end": end})).one()
        return DayAggregates(
            visits=row.visits,
            unique_members=row.unique_members,
            entries_by_bucket={
                datetime.fromtimestamp(int(epoch), UTC): count
                for epoch, count in row.entries_by_bucket.items()
            },
            visits_by_plan=dict(row.visits_by_plan),
            finished_visits=row.finished_visits,
            finished_minutes=int(row.finished_minutes),
            new_members=row.new_members,
            cancellations=row.cancellations,
        )

    async def save(self, report: DailyReport, *, job_id: uuid.UUID) -> None:
        """Store ``report``, replacing the one of the same date if any."""
        values: dict[str, Any] = {
            "day": report.day,
            "visits": report.visits,
            "unique_members": report.unique_members,
            "visits_by_hour": list(report.visits_by_hour),
            "visits_by_plan": {plan.plan_code: plan.visits for plan in report.visits_by_plan},
            "average_visit_minutes": report.average_visit_minutes,
            "new_members": report.new_members,
            "cancellations": report.cancellations,
            "high_risk_members": report.high_risk_members,
            "generated_at": report.generated_at,
            "job_id": job_id,
        }
        statement = insert(DailyReportRecord).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[DailyReportRecord.day],
            set_={
                column.name: statement.excluded[column.name]
                for column in DailyReportRecord.__table__.columns
                if not column.primary_key
            },
        )
        await self._session.execute(statement)

    # -- reading ---------------------------------------------------------------------------------

    async def get(self, day: date) -> DailyReport | None:
        record = await self._session.get(DailyReportRecord, day)
        return None if record is None else _report(record)

    async def between(self, first: date, last: date) -> Sequence[DailyReport]:
        """The stored reports of ``first`` to ``last`` inclusive, newest first."""
        query = (
            select(DailyReportRecord)
            .where(DailyReportRecord.day >= first, DailyReportRecord.day <= last)
            .order_by(DailyReportRecord.day.desc())
        )
        return [_report(record) for record in await self._session.scalars(query)]

    # -- jobs ------------------------------------------------------------------------------------

    def add_job(self, job: ReportJob) -> None:
        self._session.add(job)

    async def job(self, job_id: uuid.UUID, *, for_update: bool = False) -> ReportJob | None:
        query = select(ReportJob).where(ReportJob.id == job_id)
        if for_update:
            query = query.with_for_update()
        return await self._session.scalar(query)

    async def add_scheduled_job(self, job: ReportJob) -> bool:
        """Insert the scheduler's job of ``job.day`` unless that date already has one (written
        by another replica, maybe this very instant); True if this one was inserted."""
        statement = (
            insert(ReportJob)
            .values(
                id=job.id, day=job.day, origin=ReportOrigin.SCHEDULE, requested_at=job.requested_at
            )
            .on_conflict_do_nothing(
                index_elements=[ReportJob.day],
                # The partial unique index's own predicate, literally, so PostgreSQL infers it.
                index_where=text(f"origin = '{ReportOrigin.SCHEDULE.value}'"),
            )
            .returning(ReportJob.id)
        )
        return (await self._session.scalar(statement)) is not None

    # -- scheduling ------------------------------------------------------------------------------

    async def try_lock_scheduler(self) -> bool:
        """Hold, until the transaction ends, the scheduler's lock; False if another replica
        holds it now."""
        statement = select(func.pg_try_advisory_xact_lock(_LOCK_CLASS, _SCHEDULER_KEY))
        return bool(await self._session.scalar(statement))

    async def last_scheduled_day(self) -> date | None:
        query = select(func.max(ReportJob.day)).where(ReportJob.origin == ReportOrigin.SCHEDULE)
        return await self._session.scalar(query)

    async def first_activity(self) -> datetime | None:
        """The earliest enrollment or entry instant of the gym; None if there is neither."""
        return await self._session.scalar(
            text(
                "SELECT least((SELECT min(data_matricula) FROM alunos),"
                " (SELECT min(data_entrada) FROM checkins))"
            )
        )
