"""Habits: each member's chance of training on each day of the history (a members x days
matrix), and the days they did train, before any cancellation cuts the history short.

chance(member, day) = min(0.95, baseline x habit curve(tenure) x gym season(day)
                           x holidays and breaks(member, day) x weekly noise x weekday share)
"""

from dataclasses import dataclass
from datetime import date

import numpy as np

from frequenta_sim.params import SimParams
from frequenta_sim.population import Population
from frequenta_sim.timeline import Timeline, day_index


@dataclass(frozen=True)
class Habits:
    attended: np.ndarray  # bool (members, days): trained that day (ignoring cancellation)
    expected: np.ndarray  # float (members, days): the chance the baseline alone would give
    on_vacation: np.ndarray  # bool (members, days): in a planned holiday (vacationers)


def _decay(weeks: np.ndarray, onset: np.ndarray, half_life: np.ndarray) -> np.ndarray:
    """1 until `onset` weeks, then halving every `half_life` weeks."""
    return np.exp2(-np.clip(weeks - onset[:, None], 0, None) / half_life[:, None])


def habit_curves(
    rng: np.random.Generator, people: Population, weeks: np.ndarray, params: SimParams
) -> np.ndarray:
    """Each member's intensity relative to their baseline, by weeks since enrollment."""
    habits = params.habits
    names = [archetype.name for archetype in params.all_archetypes]
    count = people.size
    curve = np.ones_like(weeks)

    def draw(bounds: tuple[float, float]) -> np.ndarray:
        return rng.uniform(*bounds, count)

    fader = people.archetype == names.index("fader")
    decay = _decay(weeks, draw(habits.fader_onset_weeks), draw(habits.fader_half_life_weeks))
    curve[fader] = decay[fader]

    quitter = people.archetype == names.index("early_quitter")
    decay = _decay(weeks, draw(habits.quitter_onset_weeks), draw(habits.quitter_half_life_weeks))
    curve[quitter] = habits.quitter_keen * decay[quitter]

    joiner = people.archetype == names.index("january_joiner")
    floor = draw(habits.joiner_floor)[:, None]
    decay = _decay(weeks, draw(habits.joiner_onset_weeks), draw(habits.joiner_half_life_weeks))
    curve[joiner] = (floor + (habits.joiner_keen - floor) * decay)[joiner]
    return curve


def _windows(
    rng: np.random.Generator,
    timeline: Timeline,
    count: int,
    starts: tuple[tuple[int, int], tuple[int, int]],
    lengths: tuple[int, int],
    chance: float,
) -> np.ndarray:
    """A (count, days) mask of one holiday per member and year: it starts between the two
    (month, day) of `starts`, lasts `lengths` days, and is taken with `chance`."""
    mask = np.zeros((count, timeline.days), dtype=bool)
    day = np.arange(timeline.days)
    (m0, d0), (m1, d1) = starts
    for year in range(timeline.dates[0].year - 1, timeline.dates[-1].year + 1):
        first = day_index(timeline, date(year, m0, d0))
        last = day_index(timeline, date(year + (m1 < m0), m1, d1))
        begin = rng.integers(first, last + 1, count)
        length = rng.integers(lengths[0], lengths[1] + 1, count)
        taken = rng.random(count) < chance
        mask |= taken[:, None] & (day >= begin[:, None]) & (day < (begin + length)[:, None])
    return mask


def _breaks(rng, people: Population, timeline: Timeline, params: SimParams) -> np.ndarray:
    """Short unplanned breaks of everyone (a cold, a trip, a work crunch)."""
    habits = params.habits
    day = np.arange(timeline.days)
    count = rng.poisson(habits.breaks_per_year * timeline.days / 365.25, people.size)
    mask = np.zeros((people.size, timeline.days), dtype=bool)
    for k in range(int(count.max(initial=0))):
        begin = rng.integers(people.enrolled_day, timeline.days)
        length = rng.integers(habits.break_days[0], habits.break_days[1] + 1, people.size)
        mask |= (k < count)[:, None] & (day >= begin[:, None]) & (day < (begin + length)[:, None])
    return mask


def draw_habits(
    rng: np.random.Generator, people: Population, timeline: Timeline, params: SimParams
) -> Habits:
    habits = params.habits
    day = np.arange(timeline.days)
    enrolled = day[None, :] >= people.enrolled_day[:, None]
    weeks = (day[None, :] - people.enrolled_day[:, None]) / 7.0
    weekday_share = people.weekday_weights[:, timeline.weekday]
    expected = people.baseline[:, None] * timeline.season[None, :] * weekday_share
    expected = np.where(enrolled, np.minimum(expected, habits.max_day_probability), 0.0)

    vacationer = people.archetype == [a.name for a in params.all_archetypes].index("vacationer")
    on_vacation = np.zeros((people.size, timeline.days), dtype=bool)
    holidays = int(vacationer.sum())
    on_vacation[vacationer] = _windows(
        rng, timeline, holidays, habits.july_start, habits.july_days, habits.july_chance
    ) | _windows(
        rng, timeline, holidays, habits.summer_start, habits.summer_days, habits.summer_chance
    )
    on_break = _breaks(rng, people, timeline, params)

    sigma = np.array([a.weekly_noise for a in params.all_archetypes])[people.archetype]
    weekly = rng.normal(0.0, 1.0, (people.size, timeline.days // 7 + 1))
    noise = np.exp(sigma[:, None] * weekly - sigma[:, None] ** 2 / 2)[:, day // 7]

    chance = (
        people.baseline[:, None]
        * habit_curves(rng, people, weeks, params)
        * timeline.season[None, :]
        * np.where(on_vacation, habits.vacation_intensity, 1.0)
        * np.where(on_break, habits.break_intensity, 1.0)
        * noise
        * weekday_share
    )
    chance = np.where(enrolled, np.minimum(chance, habits.max_day_probability), 0.0)
    attended = rng.random(chance.shape) < chance
    return Habits(attended=attended, expected=expected, on_vacation=on_vacation & enrolled)
