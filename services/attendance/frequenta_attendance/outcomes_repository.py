"""The SQL of the outcome reports: cohorts by join month and plan, attrition per calendar month,
and attendance over ranges of local days. Each report is one set-based statement (one snapshot);
local months and days come in as UTC bounds computed by the caller (domain/calendar.py), so the
gym's time zone is applied exactly as the daily reports apply it."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Double, Integer, String, column, text
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta_attendance.domain.outcomes import CohortCounts

# Members by local join month and plan, and how many were still active 1..:months calendar
# months after their own join instant (uses ix_alunos_data_matricula).
_COHORTS = text(
    """
    WITH m AS (
        SELECT date_trunc('month', a.data_matricula AT TIME ZONE :tz)::date AS join_month,
               p.codigo AS plan_code, a.data_matricula, a.data_cancelamento
        FROM alunos a JOIN planos p ON p.id = a.plano_id
        WHERE a.data_matricula >= :since
    )
    SELECT m.join_month, m.plan_code, i.after, count(*) AS members,
           count(*) FILTER (WHERE m.data_cancelamento IS NULL
               OR m.data_cancelamento >= m.data_matricula + make_interval(months => i.after))
               AS retained
    FROM m CROSS JOIN generate_series(1, :months) AS i(after)
    GROUP BY 1, 2, 3
    """
).columns(
    column("join_month", Date),
    column("plan_code", String),
    column("after", Integer),
    column("members", BigInteger),
    column("retained", BigInteger),
)

_MONTHS = "unnest(CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[])) WITH ORDINALITY"

# Per month and plan: active at the month's first instant, cancelled and joined within it.
_ATTRITION_BY_PLAN = text(
    f"""
    SELECT t.n, p.codigo AS plan_code,
           count(*) FILTER (WHERE a.data_matricula < t.start
               AND (a.data_cancelamento IS NULL OR a.data_cancelamento >= t.start))
               AS active_at_start,
           count(*) FILTER (WHERE a.data_cancelamento >= t.start AND a.data_cancelamento < t.finish)
               AS cancellations,
           count(*) FILTER (WHERE a.data_matricula >= t.start AND a.data_matricula < t.finish)
               AS new_members
    FROM {_MONTHS} AS t(start, finish, n)
    JOIN alunos a ON a.data_matricula < t.finish
        AND (a.data_cancelamento IS NULL OR a.data_cancelamento >= t.start)
    JOIN planos p ON p.id = a.plano_id
    GROUP BY 1, 2
    """
).columns(
    column("n", Integer),
    column("plan_code", String),
    column("active_at_start", BigInteger),
    column("cancellations", BigInteger),
    column("new_members", BigInteger),
)

# Per month and reason code: the cancellations (uses ix_alunos_data_cancelamento).
_ATTRITION_BY_REASON = text(
    f"""
    SELECT t.n, a.motivo_cancelamento AS reason_code, count(*) AS cancellations
    FROM {_MONTHS} AS t(start, finish, n)
    JOIN alunos a ON a.data_cancelamento >= t.start AND a.data_cancelamento < t.finish
    GROUP BY 1, 2
    """
).columns(column("n", Integer), column("reason_code", String), column("cancellations", BigInteger))

# Per range: visits, distinct members, mean whole minutes of finished visits (uses
# ix_checkins_data_entrada_id), enrollments and cancellations.
_RANGES = text(
    f"""
    SELECT t.n, v.visits, v.unique_members, v.average_minutes,
           (SELECT count(*) FROM alunos a
              WHERE a.data_matricula >= t.start AND a.data_matricula < t.finish) AS new_members,
           (SELECT count(*) FROM alunos a
              WHERE a.data_cancelamento >= t.start AND a.data_cancelamento < t.finish)
              AS cancellations
    FROM {_MONTHS} AS t(start, finish, n)
    CROSS JOIN LATERAL (
        SELECT count(*) AS visits, count(DISTINCT c.aluno_id) AS unique_members,
               avg(floor(extract(epoch FROM c.data_saida - c.data_entrada) / 60))
                   FILTER (WHERE c.data_saida IS NOT NULL) AS average_minutes
        FROM checkins c WHERE c.data_entrada >= t.start AND c.data_entrada < t.finish
    ) v
    ORDER BY t.n
    """
).columns(
    column("n", Integer),
    column("visits", BigInteger),
    column("unique_members", BigInteger),
    column("average_minutes", Double),
    column("new_members", BigInteger),
    column("cancellations", BigInteger),
)

Bounds = Sequence[tuple[datetime, datetime]]


@dataclass(frozen=True)
class PlanMonth:
    index: int  # 0-based position of the month in the bounds given
    plan_code: str
    active_at_start: int
    cancellations: int
    new_members: int


@dataclass(frozen=True)
class ReasonMonth:
    index: int
    reason_code: str
    cancellations: int


@dataclass(frozen=True)
class RangeFigures:
    visits: int
    unique_members: int
    average_visit_minutes: float | None
    new_members: int
    cancellations: int


def _bounds(bounds: Bounds) -> dict[str, list[datetime]]:
    return {"starts": [start for start, _ in bounds], "ends": [end for _, end in bounds]}


class OutcomeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def cohorts(self, *, since: datetime, months: int, tz: str) -> list[CohortCounts]:
        """Per local join month (from ``since``) and plan: members and retained counts."""
        rows = await self._session.execute(_COHORTS, {"since": since, "months": months, "tz": tz})
        found: dict[tuple[date, str], tuple[int, dict[int, int]]] = {}
        for row in rows:
            _, retained = found.setdefault((row.join_month, row.plan_code), (row.members, {}))
            retained[row.after] = row.retained
        return [
            CohortCounts(month, plan, members, retained)
            for (month, plan), (members, retained) in sorted(found.items())
        ]

    async def attrition(self, months: Bounds) -> tuple[list[PlanMonth], list[ReasonMonth]]:
        params = _bounds(months)
        by_plan = await self._session.execute(_ATTRITION_BY_PLAN, params)
        plans = [
            PlanMonth(
                row.n - 1, row.plan_code, row.active_at_start, row.cancellations, row.new_members
            )
            for row in by_plan
        ]
        by_reason = await self._session.execute(_ATTRITION_BY_REASON, params)
        reasons = [ReasonMonth(row.n - 1, row.reason_code, row.cancellations) for row in by_reason]
        return plans, reasons

    async def ranges(self, ranges: Bounds) -> list[RangeFigures]:
        """The figures of each [start, end), in order."""
        rows = await self._session.execute(_RANGES, _bounds(ranges))
        return [
            RangeFigures(
                visits=row.visits,
                unique_members=row.unique_members,
                average_visit_minutes=row.average_minutes,
                new_members=row.new_members,
                cancellations=row.cancellations,
            )
            for row in rows
        ]
