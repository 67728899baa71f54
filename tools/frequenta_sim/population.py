"""Who joins, when, on which plan, and with which habit: one row per member, in enrollment
order (member 0 joined first)."""

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from frequenta_sim.params import SimParams
from frequenta_sim.timeline import US_PER_SECOND, Timeline


@dataclass(frozen=True)
class Population:
    """Latent traits of each member (arrays of length `members`)."""

    enrolled_day: np.ndarray  # int: timeline day of the enrollment
    enrolled_us: np.ndarray  # int64: enrollment instant, UTC microseconds
    archetype: np.ndarray  # int: index into SimParams.all_archetypes
    plan: np.ndarray  # int: index into SimParams.plans
    baseline: np.ndarray  # float: personal habit, visits per week
    weekday_weights: np.ndarray  # float (members, 7): share of the week's visits per weekday

    @property
    def size(self) -> int:
        return len(self.enrolled_day)


def enrollment_weights(timeline: Timeline, params: SimParams) -> np.ndarray:
    """Relative chance of enrolling on each day (none on the last, partial day)."""
    enrollment = params.enrollment
    month = np.asarray(enrollment.month_weights)[timeline.month - 1]
    weekday = np.asarray(enrollment.weekday_weights)[timeline.weekday]
    weights = month * weekday * (timeline.season > 0)
    weights[-1] = 0.0
    return weights


def _enrollment_days(rng: np.random.Generator, timeline: Timeline, params: SimParams):
    weights = enrollment_weights(timeline, params)
    if not weights.any():
        raise ValueError("the history is too short to enroll anyone")
    count = params.members
    opening = int(round(count * params.enrollment.opening_share))
    opening_weights = weights.copy()
    opening_weights[params.enrollment.opening_days :] = 0.0
    if not opening_weights.any():
        opening_weights, opening = weights, 0
    days = np.concatenate(
        [
            rng.choice(timeline.days, opening, p=opening_weights / opening_weights.sum()),
            rng.choice(timeline.days, count - opening, p=weights / weights.sum()),
        ]
    )
    enrollment = params.enrollment
    hours = rng.uniform(enrollment.desk_open_hour, enrollment.desk_close_hour, count)
    instants = timeline.day_start_us[days] + np.round(hours * 3600).astype(np.int64) * US_PER_SECOND
    order = np.argsort(instants, kind="stable")
    return days[order], instants[order]


def in_january_window(timeline: Timeline, days: np.ndarray, window_days: int) -> np.ndarray:
    """Whether each enrollment day lies within `window_days` of a January 1st."""
    january = np.array(
        [
            (day - day.replace(month=1, day=1)) < timedelta(days=window_days)
            for day in timeline.dates
        ]
    )
    return january[days]


def draw_population(rng: np.random.Generator, timeline: Timeline, params: SimParams) -> Population:
    days, instants = _enrollment_days(rng, timeline, params)
    count = len(days)
    archetypes = params.all_archetypes
    shares = np.array([archetype.share for archetype in params.archetypes])
    kind = rng.choice(len(params.archetypes), count, p=shares)
    joiner = in_january_window(timeline, days, params.enrollment.january_window_days) & (
        rng.random(count) < params.enrollment.january_joiner_chance
    )
    kind[joiner] = len(archetypes) - 1

    plan = np.empty(count, dtype=np.int64)
    baseline = np.empty(count)
    for index, archetype in enumerate(archetypes):
        members = np.flatnonzero(kind == index)
        weights = np.asarray(archetype.plan_weights, dtype=float)
        plan[members] = rng.choice(len(params.plans), len(members), p=weights / weights.sum())
        scale = archetype.baseline_mean / archetype.baseline_shape
        baseline[members] = rng.gamma(archetype.baseline_shape, scale, len(members))
    baseline = np.clip(baseline, 0.7, 6.0)

    # Each member's week: the gym's weekday profile times a personal taste (gamma noise).
    profile = np.asarray(params.visits.weekday_profile)
    taste = profile * rng.gamma(4.0, 0.25, (count, 7))
    weekday_weights = taste / taste.sum(axis=1, keepdims=True)
    return Population(days, instants, kind, plan, baseline, weekday_weights)
