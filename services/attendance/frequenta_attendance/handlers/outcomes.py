"""Outcome reports: cohort retention, monthly attrition and the weekly attendance trend."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors, outcomes, validation
from frequenta_attendance.domain.calendar import day_start, days_range_bounds, local_date
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.outcomes_repository import PlanMonth, RangeFigures, ReasonMonth
from frequenta_attendance.uow import UnitOfWork


@dataclass(frozen=True)
class Cohort:
    join_month: str
    plan_code: str | None
    members: int
    retained: list[float | None]


@dataclass(frozen=True)
class PlanAttrition:
    plan_code: str
    active_at_start: int
    cancellations: int
    attrition_rate: float | None


@dataclass(frozen=True)
class MonthAttrition:
    month: str
    active_at_start: int
    cancellations: int
    new_members: int
    attrition_rate: float | None
    by_plan: list[PlanAttrition]
    by_reason: list[tuple[str, int]]  # reason code, cancellations; most first


@dataclass(frozen=True)
class TrendPeriod:
    first: date
    last: date
    figures: RangeFigures


@dataclass(frozen=True)
class WeeklyTrend:
    until: date
    weeks: list[TrendPeriod]
    same_weekday: list[TrendPeriod]


async def cohort_report(
    *, uow: UnitOfWork, clock: Clock, rules: GymRules, months: int
) -> tuple[list[Cohort], int]:
    """Cohorts of the last ``months`` join months: every plan together, then each plan."""
    count = outcomes.month_count("months", months)
    today = local_date(clock(), rules.tz)
    first = outcomes.last_months(today, count)[0]
    async with uow:
        by_plan = await uow.outcomes.cohorts(
            since=day_start(first, rules.tz), months=count, tz=rules.tz.key
        )
    cohorts = sorted(
        [*outcomes.all_plans(by_plan), *by_plan],
        key=lambda c: (c.join_month, c.plan_code is not None, c.plan_code or ""),
    )
    return [
        Cohort(
            join_month=outcomes.month_label(cohort.join_month),
            plan_code=cohort.plan_code,
            members=cohort.members,
            retained=outcomes.retention_shares(cohort, months=count, today=today),
        )
        for cohort in cohorts
    ], count


def _month(label: str, plans: list[PlanMonth], reasons: list[ReasonMonth]) -> MonthAttrition:
    active = sum(plan.active_at_start for plan in plans)
    cancelled = sum(plan.cancellations for plan in plans)
    return MonthAttrition(
        month=label,
        active_at_start=active,
        cancellations=cancelled,
        new_members=sum(plan.new_members for plan in plans),
        attrition_rate=outcomes.share(cancelled, active),
        by_plan=[
            PlanAttrition(
                plan.plan_code,
                plan.active_at_start,
                plan.cancellations,
                outcomes.share(plan.cancellations, plan.active_at_start),
            )
            for plan in sorted(plans, key=lambda p: p.plan_code)
        ],
        by_reason=sorted(
            ((reason.reason_code, reason.cancellations) for reason in reasons),
            key=lambda pair: (-pair[1], pair[0]),
        ),
    )


async def attrition_report(
    *, uow: UnitOfWork, clock: Clock, rules: GymRules, months: int
) -> list[MonthAttrition]:
    """Attrition of the last ``months`` calendar months, oldest first."""
    count = outcomes.month_count("months", months)
    firsts = outcomes.last_months(local_date(clock(), rules.tz), count)
    bounds = [
        (day_start(first, rules.tz), day_start(outcomes.add_months(first, 1), rules.tz))
        for first in firsts
    ]
    async with uow:
        by_plan, by_reason = await uow.outcomes.attrition(bounds)
    plans: dict[int, list[PlanMonth]] = defaultdict(list)
    for plan in by_plan:
        plans[plan.index].append(plan)
    reasons: dict[int, list[ReasonMonth]] = defaultdict(list)
    for reason in by_reason:
        reasons[reason.index].append(reason)
    return [
        _month(outcomes.month_label(first), plans[index], reasons[index])
        for index, first in enumerate(firsts)
    ]


async def weekly_trend(
    *, uow: UnitOfWork, clock: Clock, rules: GymRules, until_text: str, weeks: int
) -> WeeklyTrend:
    """The weeks up to ``until_text`` (default today) and its weekday in the 4 weeks before."""
    count = outcomes.week_count("weeks", weeks)
    today = local_date(clock(), rules.tz)
    until = validation.iso_date("until_date", until_text) or today
    if until > today:
        raise errors.invalid(
            "until_date", f"until_date {until.isoformat()} is after today ({today.isoformat()})"
        )
    earliest = validation.EARLIEST_DATE + timedelta(weeks=count)
    if until < earliest:  # its first week would start before the earliest date
        raise errors.invalid(
            "until_date", f"until_date must be {earliest.isoformat()} or later for {count} weeks"
        )
    periods = [*outcomes.trend_weeks(until, count), *outcomes.same_weekdays(until)]
    async with uow:
        figures = await uow.outcomes.ranges(
            [days_range_bounds(period.first, period.last, rules.tz) for period in periods]
        )
    found = [
        TrendPeriod(period.first, period.last, figure)
        for period, figure in zip(periods, figures, strict=True)
    ]
    return WeeklyTrend(until=until, weeks=found[:count], same_weekday=found[count:])
