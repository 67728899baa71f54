"""simulate(): a whole gym from a seed. Pure: no I/O, no clock unless `until` is left out, and
the same (params, seed, until) always give the same gym.

Each stage draws from its own random stream (spawned from the seed), so changing how visit
times are drawn, say, leaves who joins and who cancels as they were.
"""

from datetime import UTC, datetime

import numpy as np

from frequenta_sim.behaviour import draw_habits
from frequenta_sim.gym import SimulatedGym, SimulatedMember, instant
from frequenta_sim.hazard import NOT_CANCELLED, draw_cancellations
from frequenta_sim.params import SimParams
from frequenta_sim.people import make_people
from frequenta_sim.population import draw_population
from frequenta_sim.timeline import US_PER_SECOND, build_timeline
from frequenta_sim.visits import draw_visits

STAGES = ("population", "habits", "cancellations", "desk", "visits", "people")


def simulate(
    params: SimParams | None = None, *, seed: int, until: datetime | None = None
) -> SimulatedGym:
    """The gym's history over the `params.months` before `until` (default now)."""
    params = params or SimParams()
    if seed < 0:
        raise ValueError("seed must not be negative")
    until = (until or datetime.now(UTC)).replace(microsecond=0)
    timeline = build_timeline(until, params.months, params.days)
    streams = np.random.SeedSequence(seed).spawn(len(STAGES))
    rng = {
        stage: np.random.default_rng(stream) for stage, stream in zip(STAGES, streams, strict=True)
    }

    people = draw_population(rng["population"], timeline, params)
    habits = draw_habits(rng["habits"], people, timeline, params)
    cancellations = draw_cancellations(rng["cancellations"], people, habits, timeline, params)

    # The cancellation happens at the desk on its day; nothing that day or later. One that
    # would fall at or after `until` has not happened yet: the member is still active.
    enrollment = params.enrollment
    desk_hours = rng["desk"].uniform(
        enrollment.desk_open_hour, enrollment.desk_close_hour, people.size
    )
    cancelled = cancellations.day != NOT_CANCELLED
    day = np.where(cancelled, cancellations.day, 0)
    cancelled_us = timeline.day_start_us[day] + (
        np.round(desk_hours * 3600).astype(np.int64) * US_PER_SECOND
    )
    cancelled &= cancelled_us < timeline.until_us
    last_day = np.where(cancelled, cancellations.day, timeline.days)
    attended = habits.attended & (np.arange(timeline.days)[None, :] < last_day[:, None])
    visits = draw_visits(rng["visits"], people, attended, timeline, params)

    persons = make_people(rng["people"], people.size, seed=seed, today=timeline.dates[-1])
    archetypes = params.all_archetypes
    members = tuple(
        SimulatedMember(
            name=person.name,
            email=person.email,
            phone=person.phone,
            birth_date=person.birth_date,
            plan_code=params.plans[people.plan[i]].code,
            archetype=archetypes[people.archetype[i]].name,
            baseline_per_week=round(float(people.baseline[i]), 3),
            enrolled_at=instant(people.enrolled_us[i]),
            cancelled_at=instant(cancelled_us[i]) if cancelled[i] else None,
            reason=cancellations.reason[i] if cancelled[i] else None,
        )
        for i, person in enumerate(persons)
    )
    return SimulatedGym(
        seed=seed,
        params=params,
        start=timeline.start,
        until=timeline.until,
        members=members,
        visits=visits,
    )
