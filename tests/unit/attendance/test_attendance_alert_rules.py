"""The alert rules (domain/alerts.py): thresholds' checks, stages, and one member's facts turned
into open alerts, in the gym's local days."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frequenta_attendance.domain.alert_descriptions import describe
from frequenta_attendance.domain.alerts import (
    AlertKind,
    AlertThresholds,
    MemberFacts,
    check_thresholds,
    member_alerts,
    stage_reached,
)
from frequenta_kit.errors import InvalidInput

GYM = ZoneInfo("America/Sao_Paulo")
TODAY = date(2026, 3, 20)
DEFAULTS = AlertThresholds()


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=GYM).astimezone(UTC)


def facts(
    *, joined_days_ago: int, last_visit_days_ago: int | None = None, **early: int
) -> MemberFacts:
    last_day = None if last_visit_days_ago is None else TODAY - timedelta(last_visit_days_ago)
    return MemberFacts(
        member_id=7,
        name="Ana",
        plan_code="mensal",
        enrolled_on=TODAY - timedelta(days=joined_days_ago),
        last_visit_at=at_noon(last_day) if last_day else None,
        last_visit_on=last_day,
        early_month=early.get("month"),
        early_month_visits=early.get("visits"),
    )


def alerts(member: MemberFacts, thresholds: AlertThresholds = DEFAULTS):
    return member_alerts(member, today=TODAY, thresholds=thresholds)


@pytest.mark.parametrize(
    ("days", "expected"), [(0, None), (6, None), (7, 7), (13, 7), (14, 14), (29, 14), (400, 30)]
)
def test_the_stage_is_the_highest_reached(days, expected):
    assert stage_reached(days, (7, 14, 30)) == expected


def test_no_first_visit_opens_on_the_threshold_day_and_hides_the_other_alerts():
    assert alerts(facts(joined_days_ago=13)) == []
    [alert] = alerts(facts(joined_days_ago=20))
    assert (alert.kind, alert.stage_days, alert.days_without_visit) == (
        AlertKind.NO_FIRST_VISIT,
        None,
        20,
    )
    assert alert.opened_on == date(2026, 3, 14)  # joined Feb 28 + 14 days
    assert alert.last_visit_at is None


def test_inactivity_counts_local_days_since_the_last_visit():
    assert alerts(facts(joined_days_ago=400, last_visit_days_ago=6)) == []
    [alert] = alerts(facts(joined_days_ago=400, last_visit_days_ago=16))
    assert (alert.kind, alert.stage_days, alert.days_without_visit) == (
        AlertKind.INACTIVITY,
        14,
        16,
    )
    assert alert.opened_on == date(2026, 3, 18)  # last visit Mar 4 + 14 days


def test_few_early_visits_until_a_visit_after_that_month():
    member = facts(joined_days_ago=45, last_visit_days_ago=20, month=1, visits=2)
    found = {alert.kind: alert for alert in alerts(member)}
    assert set(found) == {AlertKind.FEW_EARLY_VISITS, AlertKind.INACTIVITY}
    early = found[AlertKind.FEW_EARLY_VISITS]
    assert (early.early_month, early.early_month_visits) == (1, 2)
    assert early.opened_on == date(2026, 3, 5)  # joined Feb 3 + 30 days

    # A visit on the first day after the month closes it.
    after = facts(joined_days_ago=45, last_visit_days_ago=15, month=1, visits=2)
    assert [a.kind for a in alerts(after)] == [AlertKind.INACTIVITY]
    enough = facts(joined_days_ago=45, last_visit_days_ago=20, month=1, visits=4)
    assert [a.kind for a in alerts(enough)] == [AlertKind.INACTIVITY]


def test_alerts_of_a_member_come_most_urgent_first():
    member = facts(joined_days_ago=80, last_visit_days_ago=55, month=2, visits=0)
    assert [a.kind for a in alerts(member)] == [AlertKind.FEW_EARLY_VISITS, AlertKind.INACTIVITY]
    never = alerts(facts(joined_days_ago=30))[0]
    idle = alerts(facts(joined_days_ago=400, last_visit_days_ago=40))[0]
    idle_less = alerts(facts(joined_days_ago=400, last_visit_days_ago=8))[0]
    assert sorted([idle_less, idle, never], key=lambda a: a.urgency()) == [never, idle, idle_less]


def test_other_thresholds_change_the_alerts():
    strict = AlertThresholds(
        days_without_first_visit=3,
        min_visits_per_month=8,
        early_period_days=60,
        inactivity_stages_days=(2, 5),
    )
    assert alerts(facts(joined_days_ago=4)) == []
    assert [a.kind for a in alerts(facts(joined_days_ago=4), strict)] == [AlertKind.NO_FIRST_VISIT]
    [alert] = alerts(facts(joined_days_ago=400, last_visit_days_ago=4), strict)
    assert alert.stage_days == 2


def test_descriptions_say_what_happened_in_portuguese():
    never, idle, early = (
        alerts(facts(joined_days_ago=20))[0],
        alerts(facts(joined_days_ago=400, last_visit_days_ago=1 + 30))[0],
        alerts(facts(joined_days_ago=45, last_visit_days_ago=20, month=1, visits=1))[0],
    )
    assert describe(never, DEFAULTS).startswith("Matriculado há 20 dias e ainda não veio")
    assert describe(idle, DEFAULTS) == "31 dias sem visitar a academia (estágio de 30 dias)."
    assert "Só 1 visita no 1º mês" in describe(early, DEFAULTS)
    assert "mínimo: 4 visitas" in describe(early, DEFAULTS)


VALID = {
    "days_without_first_visit": 14,
    "min_visits_per_month": 4,
    "early_period_days": 90,
    "inactivity_stages_days": [7, 14, 30],
}


def test_valid_thresholds_are_kept():
    checked = check_thresholds(**VALID)
    assert checked == AlertThresholds()
    assert checked.early_months == 3
    assert check_thresholds(**{**VALID, "early_period_days": 100}).early_months == 3


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"inactivity_stages_days": [7, 7]}, "inactivity_stages_days", "strictly increasing"),
        ({"inactivity_stages_days": [30, 14]}, "inactivity_stages_days", "strictly increasing"),
        ({"inactivity_stages_days": []}, "inactivity_stages_days", "1 to 10 stages"),
        ({"inactivity_stages_days": list(range(1, 12))}, "inactivity_stages_days", "1 to 10"),
        ({"inactivity_stages_days": [0]}, "inactivity_stages_days", "1 to 365"),
        ({"inactivity_stages_days": [400]}, "inactivity_stages_days", "1 to 365"),
        ({"days_without_first_visit": 0}, "days_without_first_visit", "1 to 365"),
        ({"days_without_first_visit": 366}, "days_without_first_visit", "1 to 365"),
        ({"min_visits_per_month": 0}, "min_visits_per_month", "1 to 31"),
        ({"early_period_days": 29}, "early_period_days", "30 to 365"),
    ],
)
def test_bad_thresholds_say_what_would_be_accepted(change, field, words):
    with pytest.raises(InvalidInput) as caught:
        check_thresholds(**{**VALID, **change})
    assert caught.value.field == field
    assert words in caught.value.message
