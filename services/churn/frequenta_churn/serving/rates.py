"""Visits per week, recent against the member's own usual rate (pure, vectorised over
GymColumns): what the at-risk list shows next to the risk, so staff see the drop in words the
model does not need.

- recent: visits in the 28 days before the instant, per week; a member enrolled less than 28
  days ago is counted over the days since enrollment (at least one week);
- usual: visits in the 26 weeks before those 28 days (since enrollment when shorter), per
  week; NaN (no usual rate yet) when that leaves fewer than 14 days.
"""

import numpy as np

from frequenta_churn.ml.records import GymColumns

DAY_MS = 86_400_000
RECENT_DAYS = 28
USUAL_DAYS = 182
MIN_USUAL_DAYS = 14
MIN_RECENT_DAYS = 7


def visit_rates(gym: GymColumns, at_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """(recent, usual) visits per week of every member of ``gym`` as of ``at_ms``; usual is NaN
    where the member has no usual rate yet."""
    members = np.arange(gym.n_members)
    enrolled = gym.enrolled_ms.astype(np.int64)
    recent_start = at_ms - RECENT_DAYS * DAY_MS
    usual_start = np.maximum(recent_start - USUAL_DAYS * DAY_MS, enrolled)
    until_now = gym.visits_before(members, at_ms)
    until_recent = gym.visits_before(members, recent_start)
    until_usual = gym.visits_before(members, np.minimum(usual_start, recent_start))
    recent_days = np.clip(
        (at_ms - np.maximum(enrolled, recent_start)) / DAY_MS, MIN_RECENT_DAYS, None
    )
    recent = (until_now - until_recent) / (recent_days / 7.0)
    usual_days = (recent_start - usual_start) / DAY_MS
    with np.errstate(divide="ignore", invalid="ignore"):
        usual = np.where(
            usual_days >= MIN_USUAL_DAYS,
            (until_recent - until_usual) / (usual_days / 7.0),
            np.nan,
        )
    return recent.astype(np.float64), usual.astype(np.float64)
