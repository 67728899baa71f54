"""A member's features as of an instant t, from data strictly before t: the one definition used
by training, online serving and the notebook.

Point in time: only visits entered before t count; a duration counts only if the exit is before t
too; the member's cancellation is never read. Days are local days in the gym's time zone.

Every feature is finite (no NaN: undefined cases get the explicit value documented below) and
rounded to a multiple of 1/64, so that float32 holds it exactly: a tree model's split thresholds
(midpoints of such values) are then exact in float32 too, and scikit-learn (float64) and
onnxruntime (float32) take the same branch on every row.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from frequenta_churn.ml.localtime import MS_PER_DAY, local_day_numbers, to_ms
from frequenta_churn.ml.records import (
    NEVER,
    PLAN_CODES,
    GymColumns,
    MemberRecord,
    VisitRecord,
)

FEATURE_SCHEMA_VERSION = 1
WEEK_MS = 7 * MS_PER_DAY
MAX_DAYS_SINCE = 120
MAX_TENURE_DAYS = 730
MAX_RATIO = 4.0
MAX_ABSENCE_RATIO = 30.0
RATIO_SMOOTHING = 0.5  # visits per week added to both sides of the frequency ratio
MIN_BASELINE_DAYS = 14  # enrolled less than this in the baseline window = no baseline
DEFAULT_VISIT_MINUTES = 60.0  # average duration of a member with no finished visit yet
QUANTUM = 64.0


@dataclass(frozen=True)
class Feature:
    name: str
    description: str
    monotonic: int  # +1: risk may only rise with it; -1: only fall; 0: free (tree models)


FEATURES: tuple[Feature, ...] = (
    Feature("visits_per_week_4w", "Visits entered in the 28 days before t, divided by 4.", -1),
    Feature(
        "baseline_visits_per_week",
        "Visits per week in days 29 to 84 before t, over the part of that window the member was "
        "enrolled; equal to visits_per_week_4w when that part is under 14 days (no baseline).",
        0,
    ),
    Feature(
        "frequency_ratio",
        "(visits_per_week_4w + 0.5) / (baseline_visits_per_week + 0.5), capped at 4: below 1 is a "
        "fall against the member's own baseline; 1 when there is no baseline.",
        -1,
    ),
    Feature(
        "days_since_last_visit",
        "Local days from the last entry before t to t (from enrollment if the member never "
        "came), capped at 120.",
        +1,
    ),
    Feature(
        "usual_gap_days",
        "Mean days between consecutive entries in the 84 days before t; with fewer than two "
        "entries there, the days of that window the member was enrolled (at least 1).",
        0,
    ),
    Feature(
        "absence_ratio",
        "days_since_last_visit / max(usual_gap_days, 1), capped at 30: the current absence "
        "against the member's own rhythm.",
        +1,
    ),
    Feature(
        "active_weeks_share_8w",
        "Share of the last eight 7-day blocks before t (those after enrollment) with a visit.",
        -1,
    ),
    Feature(
        "avg_visit_minutes",
        "Mean duration of the visits with an exit before t, each capped at 240 minutes; 60 when "
        "there is none.",
        0,
    ),
    Feature("tenure_days", "Local days from enrollment to t, capped at 730.", 0),
    Feature(
        "days_to_plan_end",
        "Local days from t to the end of the current plan cycle (enrollment date plus whole "
        "multiples of the plan's months; 0 on the renewal day).",
        0,
    ),
    *(Feature(f"plan_{code}", f"1 if the plan is '{code}', else 0.", 0) for code in PLAN_CODES),
    Feature("plan_other", "1 if the plan is any other code, else 0.", 0),
)
FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in FEATURES)
INDEX = {name: position for position, name in enumerate(FEATURE_NAMES)}
PLAN_COLUMNS = tuple(range(INDEX["plan_mensal"], len(FEATURES)))


def frequency_ratio(recent: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    return np.clip((recent + RATIO_SMOOTHING) / (baseline + RATIO_SMOOTHING), 0.0, MAX_RATIO)


def absence_ratio(days_since: np.ndarray, usual_gap: np.ndarray) -> np.ndarray:
    return np.clip(days_since / np.maximum(usual_gap, 1.0), 0.0, MAX_ABSENCE_RATIO)


def quantize(matrix: np.ndarray) -> np.ndarray:
    return np.round(matrix * QUANTUM) / QUANTUM


def _add_months(day: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Local day numbers plus whole months, the day of month clamped to the month's length."""
    dates = day.astype("datetime64[D]")
    month = dates.astype("datetime64[M]")
    day_of_month = (dates - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    result = target.astype("datetime64[D]") + np.minimum(day_of_month, length - 1)
    return result.astype(np.int64)


def days_to_plan_end(enrolled_day: np.ndarray, plan_months: np.ndarray, today: np.ndarray):
    """Days from ``today`` to the first cycle end (enrollment + k plan terms, k >= 1) on or after
    it; all arguments local day numbers / months."""
    months_elapsed = (
        today.astype("datetime64[D]").astype("datetime64[M]")
        - enrolled_day.astype("datetime64[D]").astype("datetime64[M]")
    ).astype(np.int64)
    cycles = np.maximum(1, -(-months_elapsed // plan_months))
    end = _add_months(enrolled_day, cycles * plan_months)
    late = end < today
    end[late] = _add_months(enrolled_day[late], (cycles[late] + 1) * plan_months[late])
    return end - today


def feature_matrix(
    gym: GymColumns, member_index: np.ndarray, at_ms: np.ndarray | int
) -> np.ndarray:
    """Features (float64, rows x len(FEATURES)) of each (member, instant) pair."""
    member = np.asarray(member_index, dtype=np.int64)
    at = np.broadcast_to(np.asarray(at_ms, dtype=np.int64), member.shape).copy()
    unique_at, inverse = np.unique(at, return_inverse=True)
    today = local_day_numbers(unique_at, gym.tz)[inverse]
    start = gym.offsets[member]
    enrolled = gym.enrolled_ms[member]
    # positions[j]: first visit entered at or after t - j weeks (j = 0..12), in one search
    weeks_back = np.arange(13, dtype=np.int64)[:, None] * WEEK_MS
    positions = gym.visits_before(member[None, :], at[None, :] - weeks_back)
    now_pos = positions[0]
    has_visit = now_pos > start
    last = np.maximum(now_pos - 1, 0)

    recent = (now_pos - positions[4]) / 4.0
    baseline_days = (
        np.clip((at - 4 * WEEK_MS) - np.maximum(at - 12 * WEEK_MS, enrolled), 0, 8 * WEEK_MS)
        / MS_PER_DAY
    )
    has_baseline = baseline_days >= MIN_BASELINE_DAYS
    baseline = np.where(
        has_baseline, (positions[4] - positions[12]) / np.maximum(baseline_days, 1) * 7, recent
    )
    ratio = np.where(has_baseline, frequency_ratio(recent, baseline), 1.0)

    last_day = np.where(
        has_visit, gym.entry_day[last] if gym.n_visits else 0, gym.enrolled_day[member]
    )
    days_since = np.clip(today - last_day, 0, MAX_DAYS_SINCE).astype(np.float64)

    in_window = now_pos - positions[12]
    first_in_window = np.minimum(positions[12], max(gym.n_visits - 1, 0))
    window_days = np.clip(at - np.maximum(at - 12 * WEEK_MS, enrolled), 0, None) / MS_PER_DAY
    if gym.n_visits:
        span_days = (gym.entry_ms[last] - gym.entry_ms[first_in_window]) / MS_PER_DAY
    else:
        span_days = np.zeros(member.shape)
    usual_gap = np.where(
        in_window >= 2, span_days / np.maximum(in_window - 1, 1), np.maximum(window_days, 1.0)
    )

    active = np.zeros(member.shape)
    eligible = np.zeros(member.shape)
    for block in range(8):
        counts = (at - block * WEEK_MS) > enrolled
        eligible += counts
        active += counts & (positions[block] > positions[block + 1])

    total = gym.cum_minutes[now_pos] - gym.cum_minutes[start]
    finished = (gym.cum_exits[now_pos] - gym.cum_exits[start]).astype(np.float64)
    if gym.n_visits:
        open_at_t = has_visit & (gym.exit_ms[last] != NEVER) & (gym.exit_ms[last] >= at)
        total -= np.where(open_at_t, gym.cum_minutes[last + 1] - gym.cum_minutes[last], 0.0)
        finished -= open_at_t
    average = np.where(finished > 0, total / np.maximum(finished, 1), DEFAULT_VISIT_MINUTES)

    tenure = np.clip(today - gym.enrolled_day[member], 0, MAX_TENURE_DAYS)
    plan_end = days_to_plan_end(
        gym.enrolled_day[member],
        gym.plan_months[member],
        np.maximum(today, gym.enrolled_day[member]),
    )
    plans = np.zeros((member.size, len(PLAN_COLUMNS)))
    plans[np.arange(member.size), gym.plans[member]] = 1.0

    columns = [
        recent,
        baseline,
        ratio,
        days_since,
        usual_gap,
        absence_ratio(days_since, usual_gap),
        active / np.maximum(eligible, 1),
        average,
        tenure,
        plan_end,
    ]
    matrix = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns] + [plans])
    return quantize(matrix)


def features_at(gym: GymColumns, at: datetime, member_ids: Sequence[int] | None = None):
    """Features of every member (or of the given ids, in that order) as of one instant."""
    index = np.arange(gym.n_members) if member_ids is None else gym.index_of(member_ids)
    return feature_matrix(gym, index, to_ms(at))


def features_as_of(
    member: MemberRecord, visits: Sequence[VisitRecord], at: datetime, tz: ZoneInfo
) -> np.ndarray:
    """One member's feature vector as of ``at`` from their stored visits (online serving)."""
    gym = GymColumns.from_records([member], visits, tz)
    return feature_matrix(gym, np.zeros(1, dtype=np.int64), to_ms(at))[0]
