"""The SQL of alerts: the attendance facts of the active members who may have an open alert, in
one set-based statement, and the thresholds row.

The statement reads each member's last visit and, only when it is older than the end of their
latest complete early month, that month's visits: two probes of the index
ux_checkins_aluno_id_data_entrada (aluno_id, data_entrada DESC) per active member, no per-member
query. Members whose last visit is recent enough for no alert are left out in SQL; the rules
themselves are in domain/alerts.py.
"""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, column, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta_attendance.domain.alerts import AlertThresholds, MemberFacts
from frequenta_attendance.models import AlertThresholdsRecord

THRESHOLDS_ROW = 1

_FACTS = text(
    """
    WITH m AS (
        SELECT a.id, a.nome, p.codigo, (a.data_matricula AT TIME ZONE :tz)::date AS enrolled_on
        FROM alunos a
        JOIN planos p ON p.id = a.plano_id
        WHERE a.ativo AND (CAST(:member_id AS bigint) IS NULL OR a.id = :member_id)
    ), k AS (
        SELECT m.*, least(:early_months, (CAST(:today AS date) - m.enrolled_on) / 30) AS month
        FROM m
    )
    SELECT k.id, k.nome, k.codigo, k.enrolled_on, last.data_entrada AS last_visit_at,
           (last.data_entrada AT TIME ZONE :tz)::date AS last_visit_on,
           CASE WHEN k.month >= 1 THEN k.month END AS early_month, early.visits AS early_visits
    FROM k
    LEFT JOIN LATERAL (
        SELECT c.data_entrada FROM checkins c
        WHERE c.aluno_id = k.id
        ORDER BY c.data_entrada DESC
        LIMIT 1
    ) last ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS visits FROM checkins c
        WHERE k.month >= 1
          AND (last.data_entrada IS NULL
               OR last.data_entrada < (k.enrolled_on + 30 * k.month)::timestamp AT TIME ZONE :tz)
          AND c.aluno_id = k.id
          AND c.data_entrada >= (k.enrolled_on + 30 * (k.month - 1))::timestamp AT TIME ZONE :tz
          AND c.data_entrada < (k.enrolled_on + 30 * k.month)::timestamp AT TIME ZONE :tz
    ) early ON true
    WHERE last.data_entrada IS NULL
       OR last.data_entrada < :recent_since
       OR early.visits < :min_visits
    """
).columns(
    column("id", Integer),
    column("nome", String),
    column("codigo", String),
    column("enrolled_on", Date),
    column("last_visit_at", DateTime(timezone=True)),
    column("last_visit_on", Date),
    column("early_month", Integer),
    column("early_visits", Integer),
)


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def member_facts(
        self,
        *,
        today: date,
        tz: str,
        thresholds: AlertThresholds,
        recent_since: datetime,
        member_id: int | None = None,
    ) -> Sequence[MemberFacts]:
        """The facts of the active members (or of one) whose last visit is before
        ``recent_since``, who never came, or whose latest complete early month was short."""
        # PostgreSQL would JIT-compile this plan (its estimated cost is high) for most of a
        # second; the plan runs in less without it.
        await self._session.execute(text("SET LOCAL jit = off"))
        rows = await self._session.execute(
            _FACTS,
            {
                "tz": tz,
                "today": today,
                "early_months": thresholds.early_months,
                "min_visits": thresholds.min_visits_per_month,
                "recent_since": recent_since,
                "member_id": member_id,
            },
        )
        return [
            MemberFacts(
                member_id=row.id,
                name=row.nome,
                plan_code=row.codigo,
                enrolled_on=row.enrolled_on,
                last_visit_at=row.last_visit_at,
                last_visit_on=row.last_visit_on,
                early_month=row.early_month if row.early_visits is not None else None,
                early_month_visits=row.early_visits,
            )
            for row in rows
        ]

    async def thresholds(self) -> AlertThresholds:
        """The thresholds in force (the defaults if the row is missing)."""
        record = await self._session.get(AlertThresholdsRecord, THRESHOLDS_ROW)
        if record is None:
            return AlertThresholds()
        return AlertThresholds(
            days_without_first_visit=record.days_without_first_visit,
            min_visits_per_month=record.min_visits_per_month,
            early_period_days=record.early_period_days,
            inactivity_stages_days=tuple(record.inactivity_stages_days),
            changed_by=record.changed_by,
            changed_at=record.changed_at,
        )

    async def save_thresholds(self, thresholds: AlertThresholds) -> None:
        values = {
            "days_without_first_visit": thresholds.days_without_first_visit,
            "min_visits_per_month": thresholds.min_visits_per_month,
            "early_period_days": thresholds.early_period_days,
            "inactivity_stages_days": list(thresholds.inactivity_stages_days),
            "changed_by": thresholds.changed_by,
            "changed_at": thresholds.changed_at,
        }
        columns = AlertThresholdsRecord.__mapper__.columns
        row = {columns[name].name: value for name, value in values.items()}
        statement = insert(AlertThresholdsRecord.__table__).values(id=THRESHOLDS_ROW, **row)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["id"], set_=row)
        )
