"""A small synthetic gym for the churn unit tests (the full simulator lives in tools/).

Each member has a weekly visit rate; some start to fade at a random day (their rate decays); the
daily cancellation hazard rises with the current absence, with a fall of the rate, in the first
90 days and on monthly plans. Seeded and vectorised over members, day by day.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from frequenta_churn.ml.records import MemberRecord, VisitRecord

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
PLANS = (("mensal", 1, 0.5), ("trimestral", 3, 0.2), ("semestral", 6, 0.15), ("anual", 12, 0.15))


def synthetic_gym(
    *, members: int = 400, days: int = 300, seed: int = 7, start: datetime | None = None
) -> tuple[list[MemberRecord], list[VisitRecord], datetime]:
    rng = np.random.default_rng(seed)
    start = start or datetime(2025, 1, 6, tzinfo=SAO_PAULO)
    enroll_day = np.where(rng.random(members) < 0.3, 0, rng.integers(0, max(days - 30, 1), members))
    plan = rng.choice(len(PLANS), members, p=[p[2] for p in PLANS])
    rate = rng.choice([1.0, 2.0, 3.5], members, p=[0.3, 0.4, 0.3])
    fade_day = np.where(
        rng.random(members) < 0.35, enroll_day + rng.integers(20, days, members), 10**6
    )
    cancelled = np.full(members, -1)
    last_visit = enroll_day.copy()
    visits: list[VisitRecord] = []
    for day in range(days):
        alive = (enroll_day <= day) & (cancelled < 0)
        fading = np.clip((day - fade_day) / 30.0, 0, None)
        current = rate * np.exp(-fading)
        went = alive & (rng.random(members) < current / 7.0)
        for member in np.flatnonzero(went):
            entry = start + timedelta(days=day, hours=float(rng.uniform(6, 21)))
            exit_ = (
                None
                if rng.random() < 0.05
                else entry + timedelta(minutes=float(np.clip(rng.normal(60, 15), 10, 200)))
            )
            visits.append(VisitRecord(int(member) + 1, entry, exit_))
        last_visit[went] = day
        absent = day - last_visit
        hazard = 0.0008 * (1 + absent / 7.0) * (1 + 2.0 * (fading > 0.5))
        hazard *= np.where(day - enroll_day < 90, 1.8, 1.0) * np.where(plan == 0, 1.6, 1.0)
        quits = alive & ~went & (day > enroll_day) & (rng.random(members) < hazard)
        cancelled[quits] = day
    records = []
    for member in range(members):
        code, months, _ = PLANS[plan[member]]
        enrolled = start + timedelta(days=int(enroll_day[member]), hours=5)
        cancel = None
        if cancelled[member] >= 0:
            cancel = start + timedelta(days=int(cancelled[member]), hours=22)
        records.append(MemberRecord(member + 1, code, months, enrolled, cancel))
    return records, visits, start + timedelta(days=days)
