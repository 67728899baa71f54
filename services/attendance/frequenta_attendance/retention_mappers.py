"""Protobuf <-> domain for alerts and outcome reports (retention.proto)."""

from frequenta.attendance.v1 import retention_pb2 as rpb
from frequenta_attendance.domain import errors
from frequenta_attendance.domain.alert_descriptions import describe
from frequenta_attendance.domain.alerts import Alert, AlertKind, AlertThresholds
from frequenta_attendance.handlers.alerts import AlertPage
from frequenta_attendance.handlers.outcomes import Cohort, MonthAttrition, TrendPeriod, WeeklyTrend
from frequenta_attendance.mappers import timestamp

_KIND_PREFIX = "ALERT_KIND_"
_KIND_NUMBERS = {kind: rpb.AlertKind.Value(_KIND_PREFIX + kind.name) for kind in AlertKind}
_KINDS = {number: kind for kind, number in _KIND_NUMBERS.items()}

# -- decoding ------------------------------------------------------------------------------------


def alert_kind(value: int) -> AlertKind | None:
    """None for UNSPECIFIED (every kind)."""
    if value == rpb.ALERT_KIND_UNSPECIFIED:
        return None
    if value not in _KINDS:
        raise errors.invalid("kind", f"{value} is not a known kind")
    return _KINDS[value]


# -- encoding ------------------------------------------------------------------------------------


def alert(value: Alert, page: AlertPage) -> rpb.Alert:
    return rpb.Alert(
        member_id=value.member_id,
        member_name=value.name,
        plan_code=value.plan_code,
        kind=_KIND_NUMBERS[value.kind],
        stage_days=value.stage_days,
        opened_at=timestamp(page.opened_at(value)),
        description=describe(value, page.thresholds),
        days_without_visit=value.days_without_visit,
        last_visit_at=timestamp(value.last_visit_at) if value.last_visit_at else None,
        early_month=value.early_month,
        early_month_visits=value.early_month_visits,
    )


def thresholds(value: AlertThresholds) -> rpb.AlertThresholds:
    return rpb.AlertThresholds(
        days_without_first_visit=value.days_without_first_visit,
        min_visits_per_month=value.min_visits_per_month,
        early_period_days=value.early_period_days,
        inactivity_stages_days=list(value.inactivity_stages_days),
        changed_by=value.changed_by or "",
        changed_at=timestamp(value.changed_at) if value.changed_at else None,
    )


def cohort(value: Cohort) -> rpb.Cohort:
    return rpb.Cohort(
        join_month=value.join_month,
        plan_code=value.plan_code or "",
        members=value.members,
        retained=[-1.0 if share is None else share for share in value.retained],
    )


def month_attrition(value: MonthAttrition) -> rpb.MonthAttrition:
    return rpb.MonthAttrition(
        month=value.month,
        active_at_start=value.active_at_start,
        cancellations=value.cancellations,
        new_members=value.new_members,
        attrition_rate=value.attrition_rate,
        by_plan=[
            rpb.PlanAttrition(
                plan_code=plan.plan_code,
                active_at_start=plan.active_at_start,
                cancellations=plan.cancellations,
                attrition_rate=plan.attrition_rate,
            )
            for plan in value.by_plan
        ],
        by_reason=[
            rpb.ReasonCount(reason_code=code, cancellations=count)
            for code, count in value.by_reason
        ],
    )


def _period(value: TrendPeriod) -> rpb.TrendPeriod:
    figures = value.figures
    return rpb.TrendPeriod(
        first_date=value.first.isoformat(),
        last_date=value.last.isoformat(),
        visits=figures.visits,
        unique_members=figures.unique_members,
        new_members=figures.new_members,
        cancellations=figures.cancellations,
        average_visit_minutes=figures.average_visit_minutes,
    )


def weekly_trend(value: WeeklyTrend) -> rpb.GetWeeklyTrendResponse:
    return rpb.GetWeeklyTrendResponse(
        weeks=[_period(week) for week in value.weeks],
        same_weekday=[_period(day) for day in value.same_weekday],
        until_date=value.until.isoformat(),
    )
