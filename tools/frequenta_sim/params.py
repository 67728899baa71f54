"""Every assumption of the simulated gym, next to its value and the reason for it.

Rates are per week unless the name says otherwise. The numbers describe a mid-sized Brazilian
gym (academia de bairro in a capital city); they are plausible, not measured: change them here,
nowhere else. `docs/simulator.md` explains how they combine.
"""

from dataclasses import dataclass, field

GYM_TIMEZONE = "America/Sao_Paulo"  # local hours, days and weeks are São Paulo's (docs/rules.md)


@dataclass(frozen=True)
class PlanParams:
    """A plan as the simulator sees it; `code` and `months` match the default plans in the
    database (db/frequenta_db/attendance/seed.py)."""

    code: str
    months: int
    # Weekly cancellation rate of an engaged member mid-term, before the multipliers.
    base_hazard: float
    # Chance that an engaged member (archetype multiplier 1) leaves at the end of a term
    # (0: no term decision; the monthly plan renews itself and is cancelled at any time).
    renewal_leave_rate: float


PLANS: tuple[PlanParams, ...] = (
    # Monthly plans are cancelled at any time with no fee: the highest running hazard
    # (~4%/month for an engaged member, several times that for a disengaged one).
    PlanParams("mensal", 1, base_hazard=0.007, renewal_leave_rate=0.0),
    # Long plans carry an early-termination fee (multa rescisória), so few leave mid-term;
    # the decision happens at the end of the term: 25%, 22%, 20% of engaged members leave
    # (a longer commitment selects more committed people); disengaged ones mostly leave.
    PlanParams("trimestral", 3, base_hazard=0.0015, renewal_leave_rate=0.12),
    PlanParams("semestral", 6, base_hazard=0.0012, renewal_leave_rate=0.15),
    PlanParams("anual", 12, base_hazard=0.0008, renewal_leave_rate=0.20),
)


@dataclass(frozen=True)
class ArchetypeParams:
    """A kind of member: how often they come and how their habit evolves (behaviour.py)."""

    name: str
    # Share of the members who enrolled outside the New Year window (January joiners excepted).
    share: float
    # Personal baseline visits per week: gamma with this mean and shape (clipped 0.7..6).
    baseline_mean: float
    baseline_shape: float
    # Multiplies every cancellation rate of these members (their temperament, not their habit).
    hazard_multiplier: float
    # Week-to-week lognormal noise (sigma) of their intensity: how irregular they are.
    weekly_noise: float
    # Chance of each plan, in the order of PLANS: who buys long plans is already committed.
    plan_weights: tuple[float, float, float, float]


ARCHETYPES: tuple[ArchetypeParams, ...] = (
    # Creatures of habit: the base of every gym, most of the long plans.
    ArchetypeParams("regular", 0.40, 3.3, 6.0, 0.5, 0.20, (0.40, 0.22, 0.16, 0.22)),
    # Keep a steady habit for weeks or months, then slowly come less and less, then quit.
    ArchetypeParams("fader", 0.22, 2.9, 5.0, 1.0, 0.25, (0.56, 0.22, 0.12, 0.10)),
    # Start keen and stop within weeks; gone in the first three months (mostly monthly).
    ArchetypeParams("early_quitter", 0.14, 3.0, 5.0, 2.5, 0.30, (0.76, 0.16, 0.05, 0.03)),
    # Steady except for holidays: a break in July and around Christmas, then back.
    ArchetypeParams("vacationer", 0.14, 3.0, 6.0, 0.8, 0.20, (0.48, 0.22, 0.15, 0.15)),
    # No pattern: some weeks every day, some weeks nothing. The noise the model must live with.
    ArchetypeParams("irregular", 0.10, 2.2, 3.0, 1.0, 0.65, (0.66, 0.20, 0.09, 0.05)),
)

# Enrolled in the New Year window (resolutions, "projeto verão"), with a habit that fades.
JANUARY_JOINER = ArchetypeParams(
    "january_joiner", 0.0, 3.4, 5.0, 1.4, 0.30, (0.66, 0.20, 0.08, 0.06)
)


@dataclass(frozen=True)
class EnrollmentParams:
    """When people join (population.py)."""

    # The gym "opened" when the history starts (inauguração): this share of all members joined
    # in its first weeks, so the history does not start from an empty gym.
    opening_share: float = 0.12
    opening_days: int = 21
    # Relative enrollments by calendar month (Jan..Dec): the New Year surge and the
    # pre-Carnival summer rush, a winter low (Jun-Jul), the spring "projeto verão" bump
    # (Sep-Oct), and December, when nobody joins a gym.
    month_weights: tuple[float, ...] = (
        1.9, 1.45, 1.25, 1.0, 0.9, 0.75, 0.8, 1.0, 1.1, 1.1, 0.95, 0.55,
    )  # fmt: skip
    # Relative enrollments by weekday (Mon..Sun): Monday is "segunda eu começo".
    weekday_weights: tuple[float, ...] = (1.5, 1.2, 1.1, 1.0, 0.8, 0.5, 0.1)
    # Members enrolled from Jan 1 to Feb 15 are January joiners with this chance (the rest of
    # the surge are ordinary members who happened to start then).
    january_window_days: int = 46
    january_joiner_chance: float = 0.55
    # Desk hours when enrollments and cancellations happen (local).
    desk_open_hour: float = 7.0
    desk_close_hour: float = 21.0


@dataclass(frozen=True)
class HabitParams:
    """How the weekly intensity of each archetype evolves with tenure (behaviour.py)."""

    # Faders: steady for 6 to 40 weeks, then the habit halves every 4 to 10 weeks.
    fader_onset_weeks: tuple[float, float] = (6.0, 40.0)
    fader_half_life_weeks: tuple[float, float] = (4.0, 10.0)
    # Early quitters: keen (x1.1) for 1 to 6 weeks, then the habit halves every 1 to 3 weeks.
    quitter_keen: float = 1.1
    quitter_onset_weeks: tuple[float, float] = (1.0, 6.0)
    quitter_half_life_weeks: tuple[float, float] = (1.0, 3.0)
    quitter_hazard_weeks: float = 13.0  # their extra hazard lasts the first 3 months
    # January joiners: x1.25 for 2 to 8 weeks, then fade (half-life 3 to 8 weeks) towards a
    # personal floor between 0 and 0.6 of the baseline: some settle into a lighter habit.
    joiner_keen: float = 1.25
    joiner_onset_weeks: tuple[float, float] = (2.0, 8.0)
    joiner_half_life_weeks: tuple[float, float] = (3.0, 8.0)
    joiner_floor: tuple[float, float] = (0.0, 0.6)
    # Vacationers: school holidays, each taken with its chance a year, starting between two
    # (month, day) and lasting a number of days within bounds; intensity x0.03 meanwhile.
    # July: the winter school break. Summer: Christmas to Carnival, the long break.
    july_start: tuple[tuple[int, int], tuple[int, int]] = ((7, 1), (7, 20))
    july_days: tuple[int, int] = (10, 24)
    july_chance: float = 0.7
    summer_start: tuple[tuple[int, int], tuple[int, int]] = ((12, 15), (1, 5))
    summer_days: tuple[int, int] = (14, 35)
    summer_chance: float = 0.85
    vacation_intensity: float = 0.03
    # Everyone: short breaks (a cold, a trip, a work crunch) at 0.9 a year, 5 to 16 days.
    breaks_per_year: float = 0.9
    break_days: tuple[int, int] = (5, 16)
    break_intensity: float = 0.05
    # A member trains at most once a day and never on more than 95% of a weekday's chances.
    max_day_probability: float = 0.95


@dataclass(frozen=True)
class HazardParams:
    """The weekly cancellation hazard (hazard.py):

    rate = plan base x archetype x tenure x (1 + relief x (exp(drop_weight x drop
           + absence_weight x weeks absent beyond the first) - 1))

    where `drop` in 0..1 is the fall of the last 28 days' visits against what the member's own
    baseline would give in the same days, and long plans add a leave-or-renew decision at the
    end of each term with the same behavioural factor."""

    # A full drop (no visits where ~12 were expected) multiplies the rate by e^2.0 = 7.4.
    drop_weight: float = 2.0
    # Each week of absence beyond the first adds x1.28, up to 8 weeks (x5.8): together with a
    # full drop, a vanished monthly member leaves in ~3 weeks, a vanished annual one lingers.
    absence_weight: float = 0.25
    absence_cap_days: int = 56
    # The drop is only judged once there are two weeks of history to judge it on.
    min_history_days: int = 14
    # New members are fragile: x(1 + 1.5 e^(-weeks/8)), i.e. x2.5 at enrollment, x1.3 at 3 months.
    tenure_amplitude: float = 1.5
    tenure_weeks: float = 8.0
    # A planned holiday (vacationers) is half as alarming to the member as the same gap
    # otherwise: many freeze the plan (trancamento) or have told the desk.
    vacation_relief: float = 0.5
    # Long-plan members decide 0 to 6 days before the term ends; the exit takes effect then.
    renewal_notice_days: int = 6


# Reason codes (docs/rules.md) and their chances, by what drove the cancellation: a fading habit
# (behavioural share of the rate) or life outside the gym (the base rate). Brazilian surveys of
# gym dropouts put lack of time, motivation and price on top.
BEHAVIOURAL_REASONS: tuple[tuple[str, float], ...] = (
    ("desmotivacao", 0.34),
    ("falta_de_tempo", 0.34),
    ("insatisfacao", 0.12),
    ("saude", 0.08),
    ("preco", 0.07),
    ("outro", 0.05),
)
EXTERNAL_REASONS: tuple[tuple[str, float], ...] = (
    ("preco", 0.30),
    ("mudanca", 0.24),
    ("concorrencia", 0.14),
    ("saude", 0.12),
    ("falta_de_tempo", 0.09),
    ("insatisfacao", 0.05),
    ("outro", 0.06),
)


@dataclass(frozen=True)
class VisitParams:
    """Times of day and durations of visits (visits.py)."""

    # Preferred slot shares and their centres (local hours): morning before work, lunch,
    # evening after work (the busiest), and people with no fixed time.
    slot_shares: tuple[float, float, float, float] = (0.30, 0.14, 0.50, 0.06)
    slot_hours: tuple[float, float, float] = (6.6, 12.2, 18.9)
    personal_hour_sd: float = 0.5  # one member's usual hour around their slot's centre
    daily_hour_sd: float = 0.45  # and how much a given day deviates from it
    # Saturdays and Sundays everyone comes late morning (around 10:00, sd 1.2 h).
    weekend_hour: float = 10.0
    weekend_hour_sd: float = 1.2
    # Opening hours (local): Mon-Fri 05:30-23:00, Sat 08:00-17:00, Sun 08:00-13:00; the last
    # entry is 30 minutes before closing.
    opening: tuple[tuple[float, float], ...] = (
        (5.5, 22.5), (5.5, 22.5), (5.5, 22.5), (5.5, 22.5), (5.5, 22.5), (8.0, 16.5), (8.0, 12.5),
    )  # fmt: skip
    # Relative chance of training on each weekday (Mon..Sun): Monday busiest, Friday lighter,
    # Saturday half, Sunday little.
    weekday_profile: tuple[float, ...] = (1.25, 1.15, 1.1, 1.05, 0.85, 0.45, 0.15)
    # Durations: lognormal; a member's median 65 min (x lognormal sd 0.15 across members), each
    # visit x lognormal sd 0.30 around it: most visits last 45-95 min.
    duration_median_minutes: float = 65.0
    member_duration_sd: float = 0.15
    visit_duration_sd: float = 0.30
    # Kept between 12 min and 5 h 30, under the 6 h maximum visit (docs/rules.md).
    duration_bounds_minutes: tuple[float, float] = (12.0, 330.0)
    # Forgotten check-outs: each member forgets with a personal chance ~ Beta(1, 32): 3% on
    # average, a few members often. Those visits have no exit.
    forgot_checkout_beta: tuple[float, float] = (1.0, 32.0)


@dataclass(frozen=True)
class GymDays:
    """Days when the whole gym is emptier (timeline.py), as intensity multipliers."""

    closed_dates: tuple[tuple[int, int], ...] = ((12, 25), (1, 1))  # Christmas, New Year
    holiday_factor: float = 0.55  # national holidays, Good Friday and Corpus Christi
    year_end_factor: float = 0.5  # Dec 24 to Jan 1: travel and family
    carnival_factor: float = 0.5  # Carnival Saturday to Ash Wednesday
    july_factor: float = 0.9  # winter school holidays
    january_factor: float = 0.95  # summer holidays, partly offset by resolutions


@dataclass(frozen=True)
class SimParams:
    """The whole gym. `SimParams()` is the documented default; tests shrink `members`."""

    members: int = 3000
    months: int = 15
    plans: tuple[PlanParams, ...] = PLANS
    archetypes: tuple[ArchetypeParams, ...] = ARCHETYPES
    january_joiner: ArchetypeParams = JANUARY_JOINER
    enrollment: EnrollmentParams = field(default_factory=EnrollmentParams)
    habits: HabitParams = field(default_factory=HabitParams)
    hazard: HazardParams = field(default_factory=HazardParams)
    visits: VisitParams = field(default_factory=VisitParams)
    days: GymDays = field(default_factory=GymDays)
    behavioural_reasons: tuple[tuple[str, float], ...] = BEHAVIOURAL_REASONS
    external_reasons: tuple[tuple[str, float], ...] = EXTERNAL_REASONS

    def __post_init__(self) -> None:
        if self.members < 1:
            raise ValueError("members must be at least 1")
        if not 1 <= self.months <= 60:
            raise ValueError("months must be between 1 and 60")
        total = sum(archetype.share for archetype in self.archetypes)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"archetype shares must add up to 1, not {total}")

    @property
    def all_archetypes(self) -> tuple[ArchetypeParams, ...]:
        """The archetypes in index order; the January joiner is last."""
        return (*self.archetypes, self.january_joiner)
