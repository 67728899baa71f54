"""Alerts: the open alerts of the gym or of one member, and the thresholds they use."""

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors, validation
from frequenta_attendance.domain.alerts import (
    Alert,
    AlertKind,
    AlertThresholds,
    check_thresholds,
    member_alerts,
)
from frequenta_attendance.domain.calendar import day_start, local_date
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_LOGIN_LENGTH = 100


@dataclass(frozen=True)
class AlertPage:
    alerts: list[Alert]
    total: int
    thresholds: AlertThresholds
    tz: ZoneInfo  # the gym's: an alert opened at the start of its local day

    def opened_at(self, alert: Alert) -> datetime:
        return day_start(alert.opened_on, self.tz)


async def _open_alerts(
    uow: UnitOfWork,
    *,
    today: date,
    rules: GymRules,
    member_id: int | None = None,
    kind: AlertKind | None = None,
) -> tuple[list[Alert], AlertThresholds]:
    """Every open alert (of one member or of all, of one kind or of any), most urgent first."""
    thresholds = await uow.alerts.thresholds()
    first_stage = thresholds.inactivity_stages_days[0]
    facts = await uow.alerts.member_facts(
        today=today,
        tz=rules.tz.key,
        thresholds=thresholds,
        # A member whose last visit is on or after this day has not reached the first stage.
        recent_since=day_start(today - timedelta(days=first_stage - 1), rules.tz),
        member_id=member_id,
    )
    found = [
        alert
        for member in facts
        for alert in member_alerts(member, today=today, thresholds=thresholds)
        if kind is None or alert.kind is kind
    ]
    return sorted(found, key=Alert.urgency), thresholds


async def list_alerts(
    *,
    uow: UnitOfWork,
    clock: Clock,
    rules: GymRules,
    kind: AlertKind | None,
    page: int,
    page_size: int,
) -> AlertPage:
    """One page of the open alerts of active members, most urgent first, and the total."""
    selected = validation.page(page, page_size)
    async with uow:
        found, thresholds = await _open_alerts(
            uow, today=local_date(clock(), rules.tz), rules=rules, kind=kind
        )
    start = selected.offset
    return AlertPage(found[start : start + selected.size], len(found), thresholds, rules.tz)


async def list_member_alerts(
    *, uow: UnitOfWork, clock: Clock, rules: GymRules, member_id: int
) -> AlertPage:
    """The open alerts of one member (none once cancelled)."""
    validation.entity_id("member_id", member_id)
    async with uow:
        if await uow.members.get(member_id) is None:
            raise errors.member_not_found(member_id)
        found, thresholds = await _open_alerts(
            uow, today=local_date(clock(), rules.tz), rules=rules, member_id=member_id
        )
    return AlertPage(found, len(found), thresholds, rules.tz)


async def get_thresholds(*, uow: UnitOfWork) -> AlertThresholds:
    async with uow:
        return await uow.alerts.thresholds()


async def update_thresholds(
    *,
    uow: UnitOfWork,
    clock: Clock,
    days_without_first_visit: int,
    min_visits_per_month: int,
    early_period_days: int,
    inactivity_stages_days: list[int],
    changed_by: str,
) -> AlertThresholds:
    """Replace the thresholds; the next read of the alerts uses them."""
    checked = check_thresholds(
        days_without_first_visit=days_without_first_visit,
        min_visits_per_month=min_visits_per_month,
        early_period_days=early_period_days,
        inactivity_stages_days=inactivity_stages_days,
    )
    who = validation.optional_text("changed_by", changed_by, max_length=MAX_LOGIN_LENGTH)
    stored = replace(checked, changed_by=who, changed_at=clock())
    async with uow:
        await uow.alerts.save_thresholds(stored)
        await uow.commit()
    log.info("alert thresholds changed by %s: %s", who, stored)
    return stored
