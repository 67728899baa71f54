"""The maths of the outcome reports (domain/outcomes.py): months, weeks, cohort shares."""

from datetime import date

import pytest

from frequenta_attendance.domain.outcomes import (
    CohortCounts,
    DayRange,
    add_months,
    all_plans,
    last_months,
    month_count,
    retention_shares,
    same_weekdays,
    share,
    trend_weeks,
    week_count,
)
from frequenta_kit.errors import InvalidInput


@pytest.mark.parametrize(
    ("first", "months", "expected"),
    [
        (date(2025, 1, 1), 1, date(2025, 2, 1)),
        (date(2025, 11, 1), 2, date(2026, 1, 1)),
        (date(2025, 1, 1), -1, date(2024, 12, 1)),
        (date(2025, 3, 1), -14, date(2024, 1, 1)),
    ],
)
def test_months_are_added_across_years(first, months, expected):
    assert add_months(first, months) == expected


def test_the_last_months_end_with_this_one():
    assert last_months(date(2026, 2, 17), 3) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


def test_retention_is_a_share_of_the_cohort_and_unknown_until_every_member_got_there():
    cohort = CohortCounts(date(2025, 12, 1), "mensal", 4, {1: 3, 2: 2, 3: 2})
    # Everyone who joined in December has been a member for 1 month by January 31.
    assert retention_shares(cohort, months=3, today=date(2026, 1, 30)) == [None, None, None]
    assert retention_shares(cohort, months=3, today=date(2026, 1, 31)) == [0.75, None, None]
    assert retention_shares(cohort, months=3, today=date(2026, 3, 31)) == [0.75, 0.5, 0.5]


def test_an_empty_cohort_has_no_share():
    assert share(0, 0) is None
    assert retention_shares(
        CohortCounts(date(2025, 1, 1), None, 0, {}), months=1, today=date(2026, 1, 1)
    ) == [None]


def test_all_plans_add_up_the_cohorts_of_each_month():
    jan, feb = date(2025, 1, 1), date(2025, 2, 1)
    merged = all_plans(
        [
            CohortCounts(jan, "mensal", 3, {1: 2}),
            CohortCounts(jan, "anual", 2, {1: 2}),
            CohortCounts(feb, "mensal", 1, {1: 0}),
        ]
    )
    assert merged == [CohortCounts(jan, None, 5, {1: 4}), CohortCounts(feb, None, 1, {1: 0})]


def test_weeks_run_monday_to_sunday_and_the_last_one_stops_at_the_date():
    wednesday = date(2026, 3, 18)
    assert trend_weeks(wednesday, 2) == [
        DayRange(date(2026, 3, 9), date(2026, 3, 15)),
        DayRange(date(2026, 3, 16), wednesday),
    ]
    sunday = date(2026, 3, 22)
    assert trend_weeks(sunday, 1) == [DayRange(date(2026, 3, 16), sunday)]


def test_the_same_weekday_in_the_four_weeks_before():
    assert [r.first for r in same_weekdays(date(2026, 3, 18))] == [
        date(2026, 3, 18),
        date(2026, 3, 11),
        date(2026, 3, 4),
        date(2026, 2, 25),
        date(2026, 2, 18),
    ]


@pytest.mark.parametrize(("value", "expected"), [(0, 12), (1, 1), (36, 36)])
def test_month_counts(value, expected):
    assert month_count("months", value) == expected


@pytest.mark.parametrize("value", [-1, 37])
def test_month_counts_out_of_range_are_refused(value):
    with pytest.raises(InvalidInput, match="1 to 36"):
        month_count("months", value)


def test_week_counts():
    assert week_count("weeks", 0) == 8
    with pytest.raises(InvalidInput, match="1 to 52"):
        week_count("weeks", 53)
