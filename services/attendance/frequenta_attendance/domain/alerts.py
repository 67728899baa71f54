"""Alerts on members' attendance (docs/alerts-and-outcomes.md): the thresholds, their checks,
and the pure rules that turn one member's attendance facts into open alerts.

Every day is a gym-local day. An alert opens at the start of the local day its condition is
first met and stays open until the member's next visit, which is why it is computed at read
time from the visits themselves (a backfilled visit counts at its own entry instant).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from frequenta_attendance.domain.errors import invalid

# A "month" of the early period is this many days.
MONTH_DAYS = 30
MAX_DAYS = 365
MAX_STAGES = 10
MAX_VISITS_PER_MONTH = 31


class AlertKind(StrEnum):
    NO_FIRST_VISIT = "sem_visita_inicial"
    FEW_EARLY_VISITS = "poucas_visitas_inicio"
    INACTIVITY = "inatividade"


# Most urgent first: a new member who never came, then a new member coming too little, then
# inactivity (highest stage first).
URGENCY = (AlertKind.NO_FIRST_VISIT, AlertKind.FEW_EARLY_VISITS, AlertKind.INACTIVITY)
_RANK = {kind: rank for rank, kind in enumerate(URGENCY)}


@dataclass(frozen=True)
class AlertThresholds:
    days_without_first_visit: int = 14
    min_visits_per_month: int = 4
    early_period_days: int = 90
    inactivity_stages_days: tuple[int, ...] = (7, 14, 30)
    changed_by: str | None = None
    changed_at: datetime | None = None

    @property
    def early_months(self) -> int:
        """How many whole 30-day months the early period holds."""
        return self.early_period_days // MONTH_DAYS


def _in_range(field: str, value: int, low: int, high: int, meaning: str) -> int:
    if not low <= value <= high:
        raise invalid(field, f"{field} must be {low} to {high} ({meaning}); got {value}")
    return value


def check_thresholds(
    *,
    days_without_first_visit: int,
    min_visits_per_month: int,
    early_period_days: int,
    inactivity_stages_days: Sequence[int],
) -> AlertThresholds:
    """Thresholds a client sent, checked; each mistake says what would be accepted."""
    _in_range(
        "days_without_first_visit",
        days_without_first_visit,
        1,
        MAX_DAYS,
        "days after joining without a visit",
    )
    _in_range(
        "min_visits_per_month",
        min_visits_per_month,
        1,
        MAX_VISITS_PER_MONTH,
        "visits expected in a 30-day month",
    )
    _in_range(
        "early_period_days",
        early_period_days,
        MONTH_DAYS,
        MAX_DAYS,
        "days after joining watched month by month, at least one 30-day month",
    )
    stages = tuple(inactivity_stages_days)
    field = "inactivity_stages_days"
    if not 1 <= len(stages) <= MAX_STAGES:
        raise invalid(field, f"{field} needs 1 to {MAX_STAGES} stages, e.g. [7, 14, 30]")
    for stage in stages:
        _in_range(field, stage, 1, MAX_DAYS, "days without a visit")
    if any(later <= earlier for earlier, later in zip(stages, stages[1:], strict=False)):
        raise invalid(
            field, f"{field} must be strictly increasing, e.g. [7, 14, 30]; got {list(stages)}"
        )
    return AlertThresholds(
        days_without_first_visit=days_without_first_visit,
        min_visits_per_month=min_visits_per_month,
        early_period_days=early_period_days,
        inactivity_stages_days=stages,
    )


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What the rules need to know about one active member, as of ``today``."""

    member_id: int
    name: str
    plan_code: str
    enrolled_on: date  # local date of joining
    last_visit_at: datetime | None
    last_visit_on: date | None  # its local date
    # The latest complete 30-day month of the early period (1-based) and its visits; None when
    # no month of it is over yet.
    early_month: int | None = None
    early_month_visits: int | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    member_id: int
    name: str
    plan_code: str
    kind: AlertKind
    stage_days: int | None
    opened_on: date  # the local day the condition was first met; it opened at its start
    days_without_visit: int
    last_visit_at: datetime | None
    early_month: int | None = None
    early_month_visits: int | None = None

    def urgency(self) -> tuple[int, int, int, int]:
        """Sort key, most urgent first."""
        return (
            _RANK[self.kind],
            -(self.stage_days or 0),
            -self.days_without_visit,
            self.member_id,
        )


def early_month_end(enrolled_on: date, month: int) -> date:
    """The first local day after the 1-based ``month`` of membership."""
    return enrolled_on + timedelta(days=MONTH_DAYS * month)


def stage_reached(days: int, stages: Sequence[int]) -> int | None:
    """The highest stage ``days`` without a visit reaches; None below the first (``stages``
    increase)."""
    for stage in reversed(stages):
        if stage <= days:
            return stage
    return None


def member_alerts(facts: MemberFacts, *, today: date, thresholds: AlertThresholds) -> list[Alert]:
    """The open alerts of one active member, most urgent first (built in that order: this runs
    once per active member on every read of the list)."""
    last_day = facts.last_visit_on
    idle_days = max(0, (today - (last_day or facts.enrolled_on)).days)

    def alert(kind: AlertKind, opened_on: date, stage: int | None = None) -> Alert:
        return Alert(
            member_id=facts.member_id,
            name=facts.name,
            plan_code=facts.plan_code,
            kind=kind,
            stage_days=stage,
            opened_on=opened_on,
            days_without_visit=idle_days,
            last_visit_at=facts.last_visit_at,
            early_month=facts.early_month if kind is AlertKind.FEW_EARLY_VISITS else None,
            early_month_visits=(
                facts.early_month_visits if kind is AlertKind.FEW_EARLY_VISITS else None
            ),
        )

    found = []
    if last_day is None:
        if idle_days >= thresholds.days_without_first_visit:
            opened = facts.enrolled_on + timedelta(days=thresholds.days_without_first_visit)
            found.append(alert(AlertKind.NO_FIRST_VISIT, opened))
        return found  # a member who never came gets no other alert
    if (
        facts.early_month is not None
        and facts.early_month_visits is not None
        and facts.early_month_visits < thresholds.min_visits_per_month
    ):
        month_end = early_month_end(facts.enrolled_on, facts.early_month)
        if last_day < month_end:  # no visit since that month ended
            found.append(alert(AlertKind.FEW_EARLY_VISITS, month_end))
    stage = stage_reached(idle_days, thresholds.inactivity_stages_days)
    if stage is not None:
        found.append(alert(AlertKind.INACTIVITY, last_day + timedelta(days=stage), stage))
    return found
