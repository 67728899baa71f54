"""Features as of an instant: hand-built members with answers worked out here, and a plain-Python
reference (datetime and zoneinfo, one visit at a time) that the vectorised module must equal on
random members, instants and time zones."""

import calendar
import math
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from frequenta_churn.ml.features import (
    FEATURE_NAMES,
    FEATURES,
    feature_matrix,
    features_as_of,
    features_at,
)
from frequenta_churn.ml.localtime import local_day, local_day_numbers, to_ms
from frequenta_churn.ml.records import GymColumns, MemberRecord, VisitRecord

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NEW_YORK = ZoneInfo("America/New_York")
DAY = timedelta(days=1)


def named(vector: np.ndarray) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, vector.tolist(), strict=True))


def visit(member_id: int, entered: datetime, minutes: float | None = 60) -> VisitRecord:
    exited = None if minutes is None else entered + timedelta(minutes=minutes)
    return VisitRecord(member_id, entered, exited)


def test_the_feature_list_is_fixed_and_described():
    assert FEATURE_NAMES[:4] == (
        "visits_per_week_4w",
        "baseline_visits_per_week",
        "frequency_ratio",
        "days_since_last_visit",
    )
    assert FEATURE_NAMES[-5:] == (
        "plan_mensal",
        "plan_trimestral",
        "plan_semestral",
        "plan_anual",
        "plan_other",
    )
    assert len(set(FEATURE_NAMES)) == len(FEATURES) == 15
    assert all(feature.description for feature in FEATURES)


def test_a_steady_member_every_third_day():
    enrolled = datetime(2025, 1, 31, 10, tzinfo=SAO_PAULO)
    member = MemberRecord(1, "mensal", 1, enrolled, None)
    # 18:00 local on Jan 31 + 3i, 45 minutes each; the last before May 1 is Apr 28 (i = 29).
    visits = [visit(1, enrolled + timedelta(days=3 * i, hours=8), 45) for i in range(40)]
    f = named(features_as_of(member, visits, datetime(2025, 5, 1, tzinfo=SAO_PAULO), SAO_PAULO))
    # Apr 3 00:00 .. May 1: visits on Apr 4, 7, ..., 28 -> 9 visits / 4 weeks.
    assert f["visits_per_week_4w"] == 2.25
    # [Feb 6, Apr 3), 56 days: Jan 31 + 3i with 6 <= 3i < 62, i = 2..20 -> 19 visits / 8 weeks.
    assert f["baseline_visits_per_week"] == 19 / 8
    assert f["frequency_ratio"] == round((2.75 / (19 / 8 + 0.5)) * 64) / 64
    assert f["days_since_last_visit"] == 3
    assert f["usual_gap_days"] == 3
    assert f["absence_ratio"] == 1
    assert f["active_weeks_share_8w"] == 1
    assert f["avg_visit_minutes"] == 45
    assert f["tenure_days"] == 90
    # Monthly cycles from Jan 31: Feb 28, Mar 31, Apr 30, May 31.
    assert f["days_to_plan_end"] == 30
    assert f["plan_mensal"] == 1 and f["plan_other"] == 0


def test_days_are_the_gyms_local_days():
    enrolled = datetime(2025, 3, 1, 9, tzinfo=SAO_PAULO)
    member = MemberRecord(1, "anual", 12, enrolled, None)
    # 22:30 in Sao Paulo is 01:30 UTC the next day; 20:00 the next local day is 23:00 UTC.
    visits = [visit(1, datetime(2025, 3, 10, 22, 30, tzinfo=SAO_PAULO), 30)]
    at = datetime(2025, 3, 11, 20, 0, tzinfo=SAO_PAULO)
    assert at.astimezone(UTC).date() == visits[0].entered_at.astimezone(UTC).date()
    f = named(features_as_of(member, visits, at, SAO_PAULO))
    assert f["days_since_last_visit"] == 1
    assert f["tenure_days"] == 10
    assert f["days_to_plan_end"] == (date(2026, 3, 1) - date(2025, 3, 11)).days


def test_a_member_who_never_came_counts_days_since_enrollment():
    enrolled = datetime(2025, 6, 2, 8, tzinfo=SAO_PAULO)
    member = MemberRecord(1, "trimestral", 3, enrolled, None)
    f = named(features_as_of(member, [], datetime(2025, 7, 2, 8, tzinfo=SAO_PAULO), SAO_PAULO))
    assert f["days_since_last_visit"] == 30
    assert f["visits_per_week_4w"] == 0
    assert f["frequency_ratio"] == 1  # enrolled 2 of the 56 baseline days: no baseline
    assert f["baseline_visits_per_week"] == 0  # equal to the recent rate
    assert f["usual_gap_days"] == 30  # fewer than two visits: the days enrolled in the window
    assert f["absence_ratio"] == 1
    assert f["active_weeks_share_8w"] == 0
    assert f["avg_visit_minutes"] == 60  # explicit imputation
    assert f["plan_trimestral"] == 1
    assert f["days_to_plan_end"] == (date(2025, 9, 2) - date(2025, 7, 2)).days


def test_a_fall_against_the_members_own_baseline():
    enrolled = datetime(2025, 1, 6, 7, tzinfo=SAO_PAULO)
    member = MemberRecord(1, "outro-plano", 2, enrolled, None)
    at = datetime(2025, 6, 2, tzinfo=SAO_PAULO)
    baseline = [visit(1, at - timedelta(days=d, hours=-10)) for d in range(30, 84, 2)]  # 27
    recent = [visit(1, at - timedelta(days=d, hours=-10)) for d in (20, 27)]
    f = named(features_as_of(member, baseline + recent, at, SAO_PAULO))
    assert f["visits_per_week_4w"] == 0.5
    assert f["baseline_visits_per_week"] == round(27 / 8 * 64) / 64
    assert f["frequency_ratio"] == round(1.0 / (27 / 8 + 0.5) * 64) / 64
    assert f["days_since_last_visit"] == 20
    assert f["plan_other"] == 1
    # blocks [t-7k-7, t-7k): visits on days 20 and 27 fall in blocks 2 and 3 only; 4..7 hold
    # the baseline visits (every other day from day 30).
    assert f["active_weeks_share_8w"] == 6 / 8


def test_a_visit_still_open_at_the_instant_counts_as_a_visit_but_not_a_duration():
    enrolled = datetime(2025, 1, 6, 7, tzinfo=SAO_PAULO)
    member = MemberRecord(1, "mensal", 1, enrolled, None)
    at = datetime(2025, 2, 3, 19, tzinfo=SAO_PAULO)
    visits = [
        visit(1, datetime(2025, 2, 1, 8, tzinfo=SAO_PAULO), 30),
        visit(1, at - timedelta(minutes=20), 90),  # exits 70 minutes after the instant
    ]
    f = named(features_as_of(member, visits, at, SAO_PAULO))
    assert f["days_since_last_visit"] == 0
    assert f["avg_visit_minutes"] == 30


def test_plan_cycles_clamp_to_the_end_of_short_months():
    enrolled = datetime(2024, 8, 31, 12, tzinfo=SAO_PAULO)
    member = MemberRecord(1, "semestral", 6, enrolled, None)
    cycles = [(date(2025, 2, 27), 1), (date(2025, 2, 28), 0), (date(2025, 3, 1), 183)]
    for today, expected in cycles:
        at = datetime.combine(today, datetime.min.time(), tzinfo=SAO_PAULO) + timedelta(hours=12)
        assert named(features_as_of(member, [], at, SAO_PAULO))["days_to_plan_end"] == expected


def test_local_day_numbers_equal_zoneinfo_across_dst_changes():
    rng = random.Random(3)
    instants = [
        datetime(2017, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(0, 9 * 365 * 86400))
        for _ in range(5000)
    ]
    # every DST change of both zones, and a second either side of it
    for year in range(2017, 2026):
        for zone in (NEW_YORK, SAO_PAULO):
            for hour in range(0, 365 * 24):
                moment = datetime(year, 1, 1, tzinfo=UTC) + timedelta(hours=hour)
                after = moment + timedelta(hours=1)
                if moment.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
                    instants += [after - timedelta(seconds=1), after, after + timedelta(seconds=1)]
    ms = np.array([to_ms(instant) for instant in instants])
    for zone in (SAO_PAULO, NEW_YORK, ZoneInfo("Asia/Kathmandu"), ZoneInfo("Australia/Lord_Howe")):
        expected = [local_day(instant, zone) for instant in instants]
        assert local_day_numbers(ms, zone).tolist() == expected


# ---------------------------------------------------------------------------------------------
# The plain-Python reference
# ---------------------------------------------------------------------------------------------


def _q(value: float) -> float:
    return round(value * 64) / 64


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reference_features(member: MemberRecord, visits, at: datetime, tz: ZoneInfo) -> list[float]:
    """Windows are elapsed time (28 x 24 h), days are local dates. Python subtracts and compares
    two datetimes of the same tzinfo by wall clock, so everything is moved to UTC first."""

    def day(instant: datetime) -> date:
        return instant.astimezone(tz).date()

    def utc(instant: datetime | None) -> datetime | None:
        return None if instant is None else instant.astimezone(UTC)

    at = utc(at)
    member = MemberRecord(
        member.member_id,
        member.plan_code,
        member.plan_duration_months,
        utc(member.enrolled_at),
        None,
    )
    visits = [VisitRecord(v.member_id, utc(v.entered_at), utc(v.exited_at)) for v in visits]

    before = sorted((v for v in visits if v.entered_at < at), key=lambda v: v.entered_at)
    today = day(at)
    recent = sum(v.entered_at >= at - 28 * DAY for v in before) / 4
    start = max(at - 84 * DAY, member.enrolled_at)
    exposure = max(0.0, (at - 28 * DAY - start).total_seconds() / 86400)
    in_baseline = sum(at - 84 * DAY <= v.entered_at < at - 28 * DAY for v in before)
    if exposure >= 14:
        baseline = in_baseline / (exposure / 7)
        ratio = min(4.0, (recent + 0.5) / (baseline + 0.5))
    else:
        baseline, ratio = recent, 1.0
    last = day(before[-1].entered_at) if before else day(member.enrolled_at)
    days_since = min(120, max(0, (today - last).days))
    window = [v for v in before if v.entered_at >= at - 84 * DAY]
    if len(window) >= 2:
        gap = (window[-1].entered_at - window[0].entered_at).total_seconds() / 86400
        gap /= len(window) - 1
    else:
        gap = max(1.0, (at - start).total_seconds() / 86400)
    active = eligible = 0
    for block in range(8):
        end = at - 7 * block * DAY
        if end > member.enrolled_at:
            eligible += 1
            active += any(end - 7 * DAY <= v.entered_at < end for v in before)
    durations = [
        min(240, max(0, math.floor((v.exited_at - v.entered_at).total_seconds() / 60)))
        for v in before
        if v.exited_at is not None and v.exited_at < at
    ]
    enrolled_day = day(member.enrolled_at)
    cycle = 1
    while _add_months(enrolled_day, cycle * member.plan_duration_months) < today:
        cycle += 1
    plan_end = (_add_months(enrolled_day, cycle * member.plan_duration_months) - today).days
    codes = ("mensal", "trimestral", "semestral", "anual")
    plans = [float(member.plan_code == code) for code in codes]
    plans.append(float(member.plan_code not in codes))
    values = [
        recent,
        baseline,
        ratio,
        days_since,
        gap,
        min(30.0, days_since / max(gap, 1.0)),
        active / max(eligible, 1),
        sum(durations) / len(durations) if durations else 60.0,
        min(730, (today - enrolled_day).days),
        plan_end,
    ]
    return [_q(v) for v in values] + plans


def random_member(rng: random.Random, member_id: int, tz: ZoneInfo, start: datetime):
    enrolled = start + timedelta(minutes=rng.randrange(0, 200 * 24 * 60))
    plan = rng.choice(
        [("mensal", 1), ("trimestral", 3), ("semestral", 6), ("anual", 12), ("familia", 2)]
    )
    member = MemberRecord(member_id, plan[0], plan[1], enrolled, None)
    visits, moment = [], enrolled + timedelta(minutes=rng.randrange(1, 3000))
    rate = rng.choice([0.5, 1.5, 3.0, 6.0])
    while moment < start + timedelta(days=400):
        minutes = None if rng.random() < 0.1 else rng.uniform(0, 400)
        visits.append(visit(member_id, moment, minutes))
        moment += timedelta(minutes=(minutes or 0) + 1 + rng.expovariate(rate / 7) * 1440)
    return member, visits


@pytest.mark.parametrize("tz", [SAO_PAULO, NEW_YORK], ids=["sao_paulo", "new_york"])
def test_vectorised_features_equal_the_reference(tz):
    rng = random.Random(11)
    start = datetime(2024, 10, 1, tzinfo=tz)
    population = [random_member(rng, member_id, tz, start) for member_id in range(1, 41)]
    members = [member for member, _ in population]
    visits = [v for _, own in population for v in own]
    gym = GymColumns.from_records(members, visits, tz)
    ats, rows = [], []
    for member, own in population:
        for _ in range(6):
            # instants anywhere, including right inside a visit and right at an entry
            at = member.enrolled_at + timedelta(minutes=rng.randrange(1, 380 * 24 * 60))
            if own and rng.random() < 0.3:
                chosen = rng.choice(own)
                at = chosen.entered_at + rng.choice([timedelta(0), timedelta(minutes=5)])
            ats.append(at)
            rows.append((member, own))
    index = gym.index_of([member.member_id for member, _ in rows])
    matrix = feature_matrix(gym, index, np.array([to_ms(at) for at in ats]))
    for (member, own), at, got in zip(rows, ats, matrix, strict=True):
        expected = reference_features(member, own, at, tz)
        assert named(got) == dict(zip(FEATURE_NAMES, expected, strict=True)), (member, at)


def test_online_features_of_one_member_equal_the_batch_at_the_same_instant():
    rng = random.Random(5)
    start = datetime(2025, 1, 1, tzinfo=SAO_PAULO)
    population = [random_member(rng, member_id, SAO_PAULO, start) for member_id in (7, 3, 9)]
    gym = GymColumns.from_records(
        [m for m, _ in population], [v for _, own in population for v in own], SAO_PAULO
    )
    at = datetime(2025, 9, 15, 14, 30, tzinfo=SAO_PAULO)
    batch = features_at(gym, at, member_ids=[9, 7, 3])
    by_id = {member.member_id: (member, own) for member, own in population}
    for row, member_id in zip(batch, [9, 7, 3], strict=True):
        member, own = by_id[member_id]
        assert np.array_equal(features_as_of(member, own, at, SAO_PAULO), row)


def test_every_feature_is_exact_in_float32():
    rng = random.Random(8)
    start = datetime(2025, 1, 1, tzinfo=SAO_PAULO)
    population = [random_member(rng, member_id, SAO_PAULO, start) for member_id in range(30)]
    gym = GymColumns.from_records(
        [m for m, _ in population], [v for _, own in population for v in own], SAO_PAULO
    )
    matrix = features_at(gym, datetime(2025, 10, 1, tzinfo=SAO_PAULO))
    assert np.all(np.isfinite(matrix))
    assert np.array_equal(matrix.astype(np.float32).astype(np.float64), matrix)
