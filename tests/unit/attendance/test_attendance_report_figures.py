"""Daily report maths: the local day's bounds and its 24 local hours in the gym's time zone
(one without daylight saving time, one with it, one with a half-hour offset), midnight
boundaries, averages and the plan ranking."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frequenta_attendance.reports.figures import (
    BUCKET,
    DayAggregates,
    PlanCount,
    average_minutes,
    build_report,
    day_bounds,
    local_hour,
    ranked_plans,
    visits_by_hour,
)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # -03:00 all year since 2019
NEW_YORK = ZoneInfo("America/New_York")  # -05:00 / -04:00
KOLKATA = ZoneInfo("Asia/Kolkata")  # +05:30, no DST
GENERATED = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)


def bucket(instant: datetime) -> datetime:
    """The quarter hour (UTC) an instant falls in, as the database's date_bin computes it."""
    origin = datetime(2000, 1, 1, tzinfo=UTC)
    return origin + (instant - origin) // BUCKET * BUCKET


def buckets(*instants: datetime) -> dict[datetime, int]:
    counts: dict[datetime, int] = {}
    for instant in instants:
        counts[bucket(instant)] = counts.get(bucket(instant), 0) + 1
    return counts


def test_a_day_without_dst_is_24_hours_from_local_midnight():
    start, end = day_bounds(date(2026, 3, 2), SAO_PAULO)
    assert start == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=24)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25), (date(2026, 3, 9), 24)],
)
def test_days_when_clocks_change_are_23_or_25_hours(day, hours):
    start, end = day_bounds(day, NEW_YORK)
    assert end - start == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("instant", "hour"),
    [
        (datetime(2026, 3, 2, 2, 59, 59, tzinfo=UTC), 23),  # last second of March 1st, local
        (datetime(2026, 3, 2, 3, 0, tzinfo=UTC), 0),  # local midnight
        (datetime(2026, 3, 2, 12, 30, tzinfo=UTC), 9),
        (datetime(2026, 3, 3, 2, 45, tzinfo=UTC), 23),
    ],
)
def test_local_hours_in_sao_paulo(instant, hour):
    assert local_hour(instant, SAO_PAULO) == hour


def test_hour_buckets_cover_the_whole_local_day_across_midnight_utc():
    # 2026-03-02 in Sao Paulo runs from 03:00Z on the 2nd to 03:00Z on the 3rd: the entries at
    # 23:10 and 23:59 local are on the next UTC date, but in this local day's last hour.
    entries = [
        datetime(2026, 3, 2, 3, 0, tzinfo=UTC),  # 00:00
        datetime(2026, 3, 2, 3, 14, 59, tzinfo=UTC),  # 00:14:59
        datetime(2026, 3, 2, 10, 5, tzinfo=UTC),  # 07:05
        datetime(2026, 3, 2, 10, 59, tzinfo=UTC),  # 07:59
        datetime(2026, 3, 3, 2, 10, tzinfo=UTC),  # 23:10
        datetime(2026, 3, 3, 2, 59, 59, tzinfo=UTC),  # 23:59:59
    ]
    by_hour = visits_by_hour(buckets(*entries), SAO_PAULO)
    assert len(by_hour) == 24
    assert by_hour[0] == 2 and by_hour[7] == 2 and by_hour[23] == 2
    assert sum(by_hour) == len(entries)


def test_half_hour_offsets_split_utc_hours_correctly():
    # Kolkata is +05:30: 03:29Z is 08:59 local, 03:30Z is 09:00 local.
    by_hour = visits_by_hour(
        buckets(
            datetime(2026, 3, 2, 3, 29, tzinfo=UTC),
            datetime(2026, 3, 2, 3, 30, tzinfo=UTC),
            datetime(2026, 3, 2, 3, 44, tzinfo=UTC),
        ),
        KOLKATA,
    )
    assert (by_hour[8], by_hour[9]) == (1, 2)


def test_the_hour_skipped_when_clocks_go_forward_stays_empty():
    # New York, 2026-03-08: 02:00 local does not exist (01:59 EST -> 03:00 EDT).
    start, end = day_bounds(date(2026, 3, 8), NEW_YORK)
    every_quarter = [start + n * BUCKET for n in range((end - start) // BUCKET)]
    by_hour = visits_by_hour(buckets(*every_quarter), NEW_YORK)
    assert by_hour[2] == 0
    assert all(by_hour[hour] == 4 for hour in range(24) if hour != 2)


def test_the_repeated_hour_when_clocks_go_back_counts_both_passes():
    # New York, 2026-11-01: 01:00-01:59 happens twice (EDT, then EST).
    start, end = day_bounds(date(2026, 11, 1), NEW_YORK)
    every_quarter = [start + n * BUCKET for n in range((end - start) // BUCKET)]
    by_hour = visits_by_hour(buckets(*every_quarter), NEW_YORK)
    assert by_hour[1] == 8
    assert sum(by_hour) == 25 * 4


def test_average_of_whole_minutes_or_none():
    assert average_minutes(150, 2) == 75.0
    assert average_minutes(100, 3) == pytest.approx(33.333333)
    assert average_minutes(0, 0) is None


def test_plans_most_visited_first_ties_by_code_without_empty_ones():
    assert ranked_plans({"mensal": 3, "anual": 5, "trimestral": 3, "semestral": 0}) == (
        PlanCount("anual", 5),
        PlanCount("mensal", 3),
        PlanCount("trimestral", 3),
    )


def aggregates(**overrides) -> DayAggregates:
    fields = dict(
        visits=3,
        unique_members=2,
        entries_by_bucket=buckets(
            datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            datetime(2026, 3, 2, 10, 20, tzinfo=UTC),
            datetime(2026, 3, 2, 21, 0, tzinfo=UTC),
        ),
        visits_by_plan={"mensal": 2, "anual": 1},
        finished_visits=2,
        finished_minutes=125,
        new_members=1,
        cancellations=0,
    )
    return DayAggregates(**{**fields, **overrides})


def test_the_report_puts_the_aggregates_together():
    report = build_report(
        date(2026, 3, 2), aggregates(), tz=SAO_PAULO, high_risk_members=0, generated_at=GENERATED
    )
    assert report.day == date(2026, 3, 2)
    assert (report.visits, report.unique_members) == (3, 2)
    assert report.visits_by_hour[7] == 2 and report.visits_by_hour[18] == 1
    assert report.visits_by_plan == (PlanCount("mensal", 2), PlanCount("anual", 1))
    assert report.average_visit_minutes == 62.5
    assert (report.new_members, report.cancellations, report.high_risk_members) == (1, 0, 0)
    assert report.generated_at == GENERATED


def test_an_empty_day_has_24_empty_hours_and_no_average():
    empty = aggregates(
        visits=0,
        unique_members=0,
        entries_by_bucket={},
        visits_by_plan={},
        finished_visits=0,
        finished_minutes=0,
    )
    report = build_report(
        date(2026, 3, 2), empty, tz=SAO_PAULO, high_risk_members=0, generated_at=GENERATED
    )
    assert report.visits_by_hour == (0,) * 24
    assert report.visits_by_plan == ()
    assert report.average_visit_minutes is None


def test_buckets_that_disagree_with_the_count_are_a_bug():
    with pytest.raises(ValueError):
        build_report(
            date(2026, 3, 2),
            aggregates(visits=4),
            tz=SAO_PAULO,
            high_risk_members=0,
            generated_at=GENERATED,
        )
