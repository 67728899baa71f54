"""Cancellations: a daily hazard from what the member did before that day (HazardParams), plus
the leave-or-renew decision at the end of each term of the long plans. The first one that
fires ends the membership; a reason code is drawn from what drove it."""

from dataclasses import dataclass

import numpy as np

from frequenta_sim.behaviour import Habits
from frequenta_sim.params import SimParams
from frequenta_sim.population import Population
from frequenta_sim.timeline import Timeline, day_index, months_after

NOT_CANCELLED = -1


@dataclass(frozen=True)
class Cancellations:
    day: np.ndarray  # int: timeline day of the cancellation, NOT_CANCELLED if none
    reason: tuple[str | None, ...]  # reason code per member, None if not cancelled


@dataclass(frozen=True)
class Signals:
    """What the member showed before each day (members x days), the inputs of the hazard."""

    drop: np.ndarray  # 0..1: fall of the last 28 days' visits against the baseline's
    absent_weeks: np.ndarray  # weeks without a visit beyond the first, capped
    tenure_weeks: np.ndarray


def _sum_before(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """out[m, d] = values[m, start[m, d]:d].sum()"""
    running = np.zeros((values.shape[0], values.shape[1] + 1))
    np.cumsum(values, axis=1, out=running[:, 1:])
    return running[:, :-1] - np.take_along_axis(running, start, axis=1)


def signals(habits: Habits, people: Population, params: SimParams) -> Signals:
    hazard = params.hazard
    members, days = habits.attended.shape
    day = np.arange(days)[None, :]
    enrolled = people.enrolled_day[:, None]
    start = np.maximum(day - 28, enrolled).clip(max=day)
    seen = _sum_before(habits.attended.astype(np.float64), start)
    expected = _sum_before(habits.expected, start)
    judged = (day - start >= hazard.min_history_days) & (expected > 0.5)
    drop = np.where(judged, np.clip(1.0 - seen / np.maximum(expected, 1e-9), 0.0, 1.0), 0.0)

    last = np.maximum.accumulate(np.where(habits.attended, day, -1), axis=1)
    last_before = np.concatenate([np.full((members, 1), -1), last[:, :-1]], axis=1)
    absent_days = np.minimum(day - np.maximum(last_before, enrolled), hazard.absence_cap_days)
    absent_weeks = np.clip(absent_days - 7, 0, None) / 7.0
    return Signals(drop, absent_weeks, (day - enrolled) / 7.0)


def _term_decisions(rng, people: Population, timeline: Timeline, params: SimParams):
    """(member, day) of every leave-or-renew decision of the long plans within the history."""
    members, days = [], []
    notice = params.hazard.renewal_notice_days
    for member in range(people.size):
        plan = params.plans[people.plan[member]]
        if plan.renewal_leave_rate <= 0:
            continue
        enrolled = timeline.dates[people.enrolled_day[member]]
        term = 1
        while (end := day_index(timeline, months_after(enrolled, term * plan.months))) < (
            timeline.days + notice
        ):
            decision = max(end - int(rng.integers(0, notice + 1)), people.enrolled_day[member] + 1)
            if decision < timeline.days:
                members.append(member)
                days.append(decision)
            term += 1
    return np.array(members, dtype=np.int64), np.array(days, dtype=np.int64)


def draw_cancellations(
    rng: np.random.Generator,
    people: Population,
    habits: Habits,
    timeline: Timeline,
    params: SimParams,
) -> Cancellations:
    hazard = params.hazard
    seen = signals(habits, people, params)
    archetypes = params.all_archetypes
    multiplier = np.array([a.hazard_multiplier for a in archetypes])[people.archetype]
    quitter = people.archetype == [a.name for a in archetypes].index("early_quitter")
    late = seen.tenure_weeks >= params.habits.quitter_hazard_weeks
    temperament = np.where(quitter[:, None] & late, 1.0, multiplier[:, None])

    relief = np.where(habits.on_vacation, hazard.vacation_relief, 1.0)
    habit = np.exp(hazard.drop_weight * seen.drop + hazard.absence_weight * seen.absent_weeks)
    behaviour = 1.0 + relief * (habit - 1.0)  # >= 1: how much the habit multiplies the rate
    base = np.array([plan.base_hazard for plan in params.plans])[people.plan]
    tenure = 1.0 + hazard.tenure_amplitude * np.exp(-seen.tenure_weeks / hazard.tenure_weeks)
    weekly = base[:, None] * temperament * tenure * behaviour
    daily = 1.0 - np.exp(-weekly / 7.0)

    # Long plans: the decision at each term's end, with the same behavioural factor.
    members, days = _term_decisions(rng, people, timeline, params)
    if len(members):
        rate = np.array([plan.renewal_leave_rate for plan in params.plans])[people.plan[members]]
        power = temperament[members, days] * behaviour[members, days]
        leave = 1.0 - (1.0 - rate) ** power
        daily[members, days] = 1.0 - (1.0 - daily[members, days]) * (1.0 - leave)

    after_enrollment = np.arange(timeline.days)[None, :] > people.enrolled_day[:, None]
    fired = (rng.random(daily.shape) < daily) & after_enrollment
    day = np.where(fired.any(axis=1), fired.argmax(axis=1), NOT_CANCELLED)

    # The reason: habit-driven with the behavioural share of the rate on that day.
    behavioural_names, behavioural_p = zip(*params.behavioural_reasons, strict=True)
    external_names, external_p = zip(*params.external_reasons, strict=True)
    reasons: list[str | None] = []
    for member, when in enumerate(day):
        if when == NOT_CANCELLED:
            reasons.append(None)
            continue
        share = 1.0 - 1.0 / behaviour[member, when]
        names, weights = (
            (behavioural_names, behavioural_p)
            if rng.random() < share
            else (external_names, external_p)
        )
        reasons.append(str(rng.choice(names, p=np.asarray(weights) / sum(weights))))
    return Cancellations(day=day, reason=tuple(reasons))
