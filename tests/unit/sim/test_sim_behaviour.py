"""Statistical properties of a demo-sized gym on a fixed seed: the behaviour the churn model is
meant to learn must be there. Assertions compare groups; they hard-code no simulated figure."""

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sim_support import US_PER_DAY, member_visits, us

from frequenta_sim.gym import SimulatedGym
from frequenta_sim.stats import churn_by
from frequenta_sim.timeline import months_after
from frequenta_sim.visits import NO_EXIT

ZONE = ZoneInfo("America/Sao_Paulo")


def rate_between(gym: SimulatedGym, member: int, start_us: int, end_us: int) -> float:
    """Visits per week of one member in [start, end)."""
    entries = member_visits(gym, member)
    weeks = (end_us - start_us) / (7 * US_PER_DAY)
    return float(np.sum((entries >= start_us) & (entries < end_us))) / weeks


def test_monthly_plans_churn_more_than_long_ones(demo_gym: SimulatedGym) -> None:
    rows = {row.group: row for row in churn_by(demo_gym, lambda member: member.plan_code)}
    assert rows["mensal"].monthly_churn > rows["trimestral"].monthly_churn
    assert rows["trimestral"].monthly_churn > rows["anual"].monthly_churn
    assert rows["semestral"].monthly_churn > rows["anual"].monthly_churn
    assert rows["mensal"].cancelled_share > rows["anual"].cancelled_share
    assert max(rows.values(), key=lambda row: row.members if row.group != "all" else 0).group == (
        "mensal"
    ), "the monthly plan is the most common"


def test_archetypes_churn_in_their_order(demo_gym: SimulatedGym) -> None:
    rows = {row.group: row for row in churn_by(demo_gym, lambda member: member.archetype)}
    regular = rows["regular"].monthly_churn
    for archetype in ("fader", "early_quitter", "january_joiner", "irregular", "vacationer"):
        assert rows[archetype].monthly_churn > regular, archetype
    assert rows["early_quitter"].monthly_churn == max(row.monthly_churn for row in rows.values())


def test_cancellers_come_less_in_the_weeks_before_they_leave(demo_gym: SimulatedGym) -> None:
    earlier, before_leaving, stayers_earlier, stayers_late = [], [], [], []
    for index, member in enumerate(demo_gym.members):
        enrolled = us(member.enrolled_at)
        end = us(member.cancelled_at or demo_gym.until)
        if end - enrolled < 16 * 7 * US_PER_DAY:
            continue
        first = rate_between(demo_gym, index, enrolled, enrolled + 8 * 7 * US_PER_DAY)
        last = rate_between(demo_gym, index, end - 4 * 7 * US_PER_DAY, end)
        if member.cancelled_at is None:
            stayers_earlier.append(first)
            stayers_late.append(last)
        else:
            earlier.append(first)
            before_leaving.append(last)
    assert len(earlier) > 200
    cancellers = np.mean(before_leaving) / np.mean(earlier)
    stayers = np.mean(stayers_late) / np.mean(stayers_earlier)
    assert cancellers < 0.7, "a clear drop against their own earlier frequency"
    assert cancellers < stayers - 0.2, "and much more than the members who stay"
    # More than half of those who leave came less in their last 4 weeks than their first 8.
    assert np.mean(np.array(before_leaving) < np.array(earlier)) > 0.5


def test_early_quitters_leave_within_three_months(demo_gym: SimulatedGym) -> None:
    quitters = [
        member
        for member in demo_gym.members
        if member.archetype == "early_quitter"
        and demo_gym.until - member.enrolled_at > timedelta(days=120)
    ]
    quick = [
        member.cancelled_at is not None
        and member.cancelled_at - member.enrolled_at <= timedelta(days=92)
        for member in quitters
    ]
    others = [
        member.cancelled_at is not None
        and member.cancelled_at - member.enrolled_at <= timedelta(days=92)
        for member in demo_gym.members
        if member.archetype == "regular"
    ]
    assert np.mean(quick) > 0.5
    assert np.mean(quick) > 3 * np.mean(others)


def test_january_surge_of_enrollments(demo_gym: SimulatedGym) -> None:
    days = Counter(member.enrolled_at.astimezone(ZONE).date() for member in demo_gym.members)
    opening_end = (demo_gym.start + timedelta(days=30)).astimezone(ZONE).date()
    by_month: dict[int, list[int]] = {}
    first = opening_end
    for offset in range((demo_gym.until.astimezone(ZONE).date() - first).days):
        day = first + timedelta(days=offset)
        by_month.setdefault(day.month, []).append(days.get(day, 0))
    january = np.mean(by_month[1])
    rest = np.mean([np.mean(counts) for month, counts in by_month.items() if month != 1])
    assert january > 1.4 * rest
    assert january > np.mean(by_month[12]) * 2, "nobody joins in December"


def test_january_joiners_fade(demo_gym: SimulatedGym) -> None:
    early, later = [], []
    for index, member in enumerate(demo_gym.members):
        if member.archetype != "january_joiner":
            continue
        start = us(member.enrolled_at)
        if us(demo_gym.until) - start < 20 * 7 * US_PER_DAY:
            continue
        early.append(rate_between(demo_gym, index, start, start + 4 * 7 * US_PER_DAY))
        week = 7 * US_PER_DAY
        later.append(rate_between(demo_gym, index, start + 14 * week, start + 18 * week))
    assert len(early) > 50
    assert np.mean(later) < 0.6 * np.mean(early)


def _holiday_ratios(gym: SimulatedGym, archetype: str) -> tuple[float, float]:
    """Visits around New Year and in February, each against November's, for the members of an
    archetype who were there from November to March."""
    before, during, after = [], [], []
    for year in {member.enrolled_at.year for member in gym.members}:
        windows = [
            (datetime(year - 1, 11, 1, tzinfo=ZONE), datetime(year - 1, 12, 10, tzinfo=ZONE)),
            (datetime(year - 1, 12, 26, tzinfo=ZONE), datetime(year, 1, 6, tzinfo=ZONE)),
            (datetime(year, 2, 1, tzinfo=ZONE), datetime(year, 3, 1, tzinfo=ZONE)),
        ]
        first, last = windows[0][0], windows[-1][1]
        if first < gym.start or last > gym.until:
            continue
        for index, member in enumerate(gym.members):
            leaves = member.cancelled_at or gym.until
            if member.archetype != archetype or member.enrolled_at > first or leaves < last:
                continue
            rates = [rate_between(gym, index, us(a), us(b)) for a, b in windows]
            for store, rate in zip((before, during, after), rates, strict=True):
                store.append(rate)
    assert len(before) > 30, archetype
    return np.mean(during) / np.mean(before), np.mean(after) / np.mean(before)


def test_vacationers_take_breaks_and_come_back(demo_gym: SimulatedGym) -> None:
    away, back = _holiday_ratios(demo_gym, "vacationer")
    regular_away, regular_back = _holiday_ratios(demo_gym, "regular")
    assert away < 0.6 * regular_away, "a break of their own on top of the gym's holidays"
    assert back > 0.85 * regular_back, "then back to their habit"


def test_times_of_day_have_three_peaks(demo_gym: SimulatedGym) -> None:
    step = max(1, demo_gym.visit_count // 40_000)
    hours = Counter(
        demo_gym.visit(position).entered_at.astimezone(ZONE).hour
        for position in range(0, demo_gym.visit_count, step)
    )
    evening = hours[18] + hours[19]
    morning = hours[6] + hours[7]
    assert evening > morning > hours[15] + hours[16]
    assert hours[12] > hours[14] and hours[12] > hours[10], "a lunch-time peak"


def test_visits_last_about_an_hour(demo_gym: SimulatedGym) -> None:
    closed = demo_gym.visits.exited_us != NO_EXIT
    minutes = (demo_gym.visits.exited_us[closed] - demo_gym.visits.entered_us[closed]) / 60e6
    assert 55 <= np.median(minutes) <= 80
    assert np.percentile(minutes, 90) < 120


def test_long_plans_end_near_the_end_of_a_term(demo_gym: SimulatedGym) -> None:
    months = {plan.code: plan.months for plan in demo_gym.params.plans}
    near, total = 0, 0
    for member in demo_gym.members:
        term = months[member.plan_code]
        if term == 1 or member.cancelled_at is None:
            continue
        enrolled = member.enrolled_at.astimezone(ZONE).date()
        left = member.cancelled_at.astimezone(ZONE).date()
        ends = [months_after(enrolled, term * k) for k in range(1, 8)]
        near += any(timedelta(0) <= end - left <= timedelta(days=10) for end in ends)
        total += 1
    assert total > 100
    # 11 days out of every 90 or more: under 12% if the timing ignored the term.
    assert near / total > 0.5
