"""Summaries of a simulated gym: churn by plan and archetype, reasons, attendance. Used by
`python -m frequenta_sim stats` and docs/simulator.md."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from frequenta_sim.gym import SimulatedGym, SimulatedMember

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class ChurnRow:
    group: str
    members: int
    cancelled: int
    member_months: float  # months of membership observed (enrollment to cancellation or until)
    visits_per_week: float  # while a member

    @property
    def cancelled_share(self) -> float:
        return self.cancelled / self.members if self.members else 0.0

    @property
    def monthly_churn(self) -> float:
        """Cancellations per member-month: comparable across groups of different tenure."""
        return self.cancelled / self.member_months if self.member_months else 0.0


def _months(gym: SimulatedGym, member: SimulatedMember) -> float:
    end = member.cancelled_at or gym.until
    return (end - member.enrolled_at).total_seconds() / 86_400 / DAYS_PER_MONTH


def churn_by(gym: SimulatedGym, key: Callable[[SimulatedMember], str]) -> list[ChurnRow]:
    """One row per group (sorted by name) and a last row for the whole gym."""
    counts = gym.visits_per_member()
    groups: dict[str, list[int]] = {}
    for index, member in enumerate(gym.members):
        groups.setdefault(key(member), []).append(index)
    groups = dict(sorted(groups.items())) | {"all": list(range(len(gym.members)))}
    rows = []
    for group, indexes in groups.items():
        months = sum(_months(gym, gym.members[i]) for i in indexes)
        visits = int(np.sum(counts[indexes]))
        rows.append(
            ChurnRow(
                group=group,
                members=len(indexes),
                cancelled=sum(gym.members[i].cancelled_at is not None for i in indexes),
                member_months=months,
                visits_per_week=visits / (months * DAYS_PER_MONTH / 7) if months else 0.0,
            )
        )
    return rows


def format_table(title: str, rows: list[ChurnRow]) -> str:
    lines = [
        f"{title:<16} {'members':>8} {'cancelled':>10} {'share':>7} {'per month':>10} "
        f"{'visits/wk':>10}"
    ]
    for row in rows:
        lines.append(
            f"{row.group:<16} {row.members:>8} {row.cancelled:>10} {row.cancelled_share:>7.1%} "
            f"{row.monthly_churn:>10.2%} {row.visits_per_week:>10.2f}"
        )
    return "\n".join(lines)


def report(gym: SimulatedGym) -> str:
    """The text `python -m frequenta_sim stats` prints."""
    active = sum(member.cancelled_at is None for member in gym.members)
    reasons = Counter(member.reason for member in gym.members if member.reason)
    total = sum(reasons.values()) or 1
    no_exit = int(np.sum(gym.visits.exited_us == np.iinfo(np.int64).min))
    parts = [
        f"seed {gym.seed}: {len(gym.members)} members ({active} active at the end), "
        f"{gym.visit_count} visits ({no_exit} without an exit), "
        f"{gym.start:%Y-%m-%d} to {gym.until:%Y-%m-%d %H:%M} UTC",
        "",
        format_table("plan", churn_by(gym, lambda member: member.plan_code)),
        "",
        format_table("archetype", churn_by(gym, lambda member: member.archetype)),
        "",
        "reasons: "
        + ", ".join(f"{reason} {count / total:.0%}" for reason, count in reasons.most_common()),
    ]
    return "\n".join(parts)
