"""The gym's calendar: local days, their UTC start, holidays and month arithmetic."""

from datetime import UTC, date, datetime, timedelta

import numpy as np

from frequenta_sim.params import GymDays
from frequenta_sim.timeline import build_timeline, easter, months_after, months_before, to_us


def test_easter_dates() -> None:
    assert easter(2024) == date(2024, 3, 31)
    assert easter(2025) == date(2025, 4, 20)
    assert easter(2026) == date(2026, 4, 5)


def test_month_arithmetic_clamps_to_the_last_day() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 15) == date(2024, 10, 15)
    assert months_after(date(2025, 8, 31), 6) == date(2026, 2, 28)


def test_days_are_sao_paulo_days_and_end_with_until() -> None:
    until = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # still Feb 28 in São Paulo (UTC-3)
    timeline = build_timeline(until, 2, GymDays())
    assert timeline.dates[-1] == date(2026, 2, 28)
    assert timeline.dates[0] == date(2025, 12, 29)
    assert timeline.start == datetime(2025, 12, 29, 3, 0, tzinfo=UTC)
    steps = set(np.diff(timeline.day_start_us).tolist())
    assert steps == {86_400_000_000}, "no daylight saving in Brazil since 2019"
    assert timeline.until_us == to_us(until)


def test_the_gym_empties_on_holidays() -> None:
    timeline = build_timeline(datetime(2026, 3, 1, tzinfo=UTC), 3, GymDays())
    season = dict(zip(timeline.dates, timeline.season, strict=True))
    assert season[date(2025, 12, 25)] == 0.0
    assert season[date(2026, 1, 1)] == 0.0
    carnival = easter(2026) - timedelta(days=47)  # Carnival Tuesday
    assert season[carnival] < season[date(2026, 2, 3)] == 1.0
    assert season[date(2025, 12, 29)] < season[date(2025, 12, 9)]
