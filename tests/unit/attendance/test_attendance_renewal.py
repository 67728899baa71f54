"""The next renewal date: cycles of the plan's months from the enrollment date, matching churn's
``days_to_plan_end`` feature day for day."""

from datetime import date, timedelta

import numpy as np
import pytest

from frequenta_attendance.domain.renewal import add_months, next_renewal
from frequenta_churn.ml.features import days_to_plan_end


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 3, 10), 12, date(2027, 3, 10)),
    ],
)
def test_months_are_added_with_the_day_clamped_to_the_month(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("enrolled", "months", "today", "expected"),
    [
        # a cycle ending today renews today
        (date(2026, 1, 10), 1, date(2026, 3, 10), date(2026, 3, 10)),
        (date(2026, 1, 10), 1, date(2026, 3, 11), date(2026, 4, 10)),
        # month-end enrollment: each end counted from the enrollment date, not the previous end
        (date(2026, 1, 31), 1, date(2026, 2, 28), date(2026, 2, 28)),
        (date(2026, 1, 31), 1, date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 1, 31), 1, date(2026, 4, 30), date(2026, 4, 30)),
        # quarterly and yearly plans
        (date(2025, 11, 30), 3, date(2026, 2, 28), date(2026, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 3, 1), date(2026, 5, 30)),
        (date(2025, 6, 1), 12, date(2026, 5, 31), date(2026, 6, 1)),
        # enrolled today or in the future: one term after enrollment
        (date(2026, 5, 5), 1, date(2026, 5, 5), date(2026, 6, 5)),
        (date(2026, 9, 1), 6, date(2026, 5, 5), date(2027, 3, 1)),
    ],
)
def test_the_renewal_is_the_first_cycle_end_on_or_after_today(enrolled, months, today, expected):
    assert next_renewal(enrolled, months, today) == expected


def _day_number(value: date) -> int:
    return (value - date(1970, 1, 1)).days


@pytest.mark.parametrize("months", [1, 3, 6, 12])
def test_matches_the_churn_feature_for_every_day_of_two_years(months):
    enrolled = [date(2025, 1, 28) + timedelta(days=k) for k in range(0, 40, 3)]
    todays = [date(2025, 1, 1) + timedelta(days=k) for k in range(730)]
    pairs = [(e, t) for e in enrolled for t in todays]
    enrolled_days = np.array([_day_number(e) for e, _ in pairs])
    today_days = np.array([_day_number(t) for _, t in pairs])
    expected = days_to_plan_end(
        enrolled_days, np.full(len(pairs), months), np.maximum(today_days, enrolled_days)
    )
    ours = [(next_renewal(e, months, t) - max(t, e)).days for e, t in pairs]
    assert ours == expected.tolist()
