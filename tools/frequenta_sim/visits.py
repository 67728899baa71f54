"""From the days a member trained to visits with an entry and (usually) an exit instant.

At most one visit a day, entries within opening hours (last entry 30 min before closing) and
durations under 5 h 30: a visit ends by 04:00, before the next day opens at 05:30, so a
member's visits never overlap, and an exit-less visit is no longer open (6 h) when the
member's next one starts."""

from dataclasses import dataclass

import numpy as np

from frequenta_sim.params import SimParams
from frequenta_sim.population import Population
from frequenta_sim.timeline import US_PER_SECOND, Timeline

NO_EXIT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class VisitArrays:
    """Visits sorted by member, then entry. Instants are UTC microseconds since the epoch."""

    member: np.ndarray  # int64
    entered_us: np.ndarray  # int64
    exited_us: np.ndarray  # int64, NO_EXIT when the member forgot to check out (or is inside)


def _entry_hours(rng, people: Population, timeline: Timeline, member, day, params: SimParams):
    visits = params.visits
    count = people.size
    slot = rng.choice(4, count, p=np.asarray(visits.slot_shares) / sum(visits.slot_shares))
    centres = np.append(np.asarray(visits.slot_hours), 0.0)[slot]
    usual = centres + rng.normal(0.0, visits.personal_hour_sd, count)

    weekday = timeline.weekday[day]
    opening = np.asarray(visits.opening)[weekday]
    hours = usual[member] + rng.normal(0.0, visits.daily_hour_sd, len(member))
    weekend = weekday >= 5
    hours[weekend] = rng.normal(visits.weekend_hour, visits.weekend_hour_sd, int(weekend.sum()))
    flexible = (slot[member] == 3) & ~weekend
    hours[flexible] = rng.uniform(opening[flexible, 0], opening[flexible, 1])
    return np.clip(hours, opening[:, 0], opening[:, 1])


def draw_visits(
    rng: np.random.Generator,
    people: Population,
    attended: np.ndarray,
    timeline: Timeline,
    params: SimParams,
) -> VisitArrays:
    """`attended` is the members x days matrix already cut at each cancellation."""
    visits = params.visits
    member, day = np.nonzero(attended)  # row-major: by member, then day
    hours = _entry_hours(rng, people, timeline, member, day, params)
    seconds = np.round(hours * 3600).astype(np.int64)
    entered = timeline.day_start_us[day] + seconds * US_PER_SECOND

    personal = visits.duration_median_minutes * np.exp(
        rng.normal(0.0, visits.member_duration_sd, people.size)
    )
    minutes = personal[member] * np.exp(rng.normal(0.0, visits.visit_duration_sd, len(member)))
    minutes = np.clip(minutes, *visits.duration_bounds_minutes)
    exited = entered + np.round(minutes * 60).astype(np.int64) * US_PER_SECOND
    forgets = rng.beta(*visits.forgot_checkout_beta, people.size)
    forgot = rng.random(len(member)) < forgets[member]
    # Still inside when the history ends: an open visit, no exit yet.
    exited = np.where(forgot | (exited >= timeline.until_us), NO_EXIT, exited)

    # The enrollment day counts only after the enrollment; nothing at or after `until`.
    kept = (entered > people.enrolled_us[member]) & (entered < timeline.until_us)
    return VisitArrays(member[kept], entered[kept], exited[kept])
