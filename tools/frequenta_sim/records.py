"""A simulated gym as plain records, the shape the churn training reads (the ML code adapts
them to its own types): no names, e-mails or archetypes, only what attendance would export."""

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from frequenta_sim.gym import SimulatedGym
from frequenta_sim.visits import NO_EXIT


@dataclass(frozen=True, slots=True)
class MemberRecord:
    member_id: int  # the member's index in the simulated gym (attendance assigns real ids)
    plan_code: str
    plan_duration_months: int
    enrolled_at: datetime  # aware, UTC
    cancelled_at: datetime | None  # aware, UTC


@dataclass(frozen=True, slots=True)
class VisitRecord:
    member_id: int
    entered_at: datetime  # aware, UTC
    exited_at: datetime | None  # None: forgotten check-out, or still inside


@dataclass(frozen=True)
class TrainingData:
    members: tuple[MemberRecord, ...]
    visits: tuple[VisitRecord, ...]  # by member, then entry
    until: datetime  # the history ends here: nothing at or after it


def _aware(microseconds: np.ndarray) -> list[datetime | None]:
    """UTC datetimes (None for NO_EXIT), converted in bulk."""
    missing = microseconds == NO_EXIT
    naive = np.where(missing, 0, microseconds).astype("datetime64[us]").astype(object)
    return [
        None if gone else moment.replace(tzinfo=UTC)
        for moment, gone in zip(naive, missing, strict=True)
    ]


def training_records(gym: SimulatedGym) -> TrainingData:
    months = {plan.code: plan.months for plan in gym.params.plans}
    members = tuple(
        MemberRecord(
            member_id=index,
            plan_code=member.plan_code,
            plan_duration_months=months[member.plan_code],
            enrolled_at=member.enrolled_at,
            cancelled_at=member.cancelled_at,
        )
        for index, member in enumerate(gym.members)
    )
    keys = gym.visits.member.tolist()
    visits = tuple(
        VisitRecord(key, entered, exited)
        for key, entered, exited in zip(
            keys, _aware(gym.visits.entered_us), _aware(gym.visits.exited_us), strict=True
        )
    )
    return TrainingData(members=members, visits=visits, until=gym.until)
