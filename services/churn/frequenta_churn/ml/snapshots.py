"""The training set: point-in-time snapshots of active members, labelled from cancellations, and
the time-ordered split.

- Snapshot instants are local midnights 7 days apart, ending at the last midnight whose horizon is
  over (t + H days <= the end of the data) and starting ``warmup_days`` after the history begins
  (the first visit or enrollment), so the first snapshots do not mistake missing history for
  absence.
- At each instant t, every member enrolled before t and not cancelled at or before t is a row;
  its features use only data before t (features.py); its label is 1 when the member cancels in
  (t, t + H days].
- Split: the hold-out is the last ``holdout_fraction`` of the instants; training keeps only the
  instants whose label window closes by the first hold-out instant (t + H <= hold-out start).
  Without that gap, training labels near the boundary would be the same cancellations the
  hold-out is scored on.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import numpy as np

from frequenta_churn.ml.features import feature_matrix
from frequenta_churn.ml.localtime import MS_PER_DAY, from_ms, to_ms
from frequenta_churn.ml.records import GymColumns

DEFAULT_HORIZON_DAYS = 30
DEFAULT_STEP_DAYS = 7
DEFAULT_WARMUP_DAYS = 56
DEFAULT_HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True, eq=False)
class SnapshotSet:
    X: np.ndarray  # float64, rows x len(FEATURES)
    y: np.ndarray  # int8: cancels within the horizon
    at_ms: np.ndarray  # the snapshot instant of each row
    member_ids: np.ndarray

    @property
    def n(self) -> int:
        return int(self.y.size)

    @property
    def positives(self) -> int:
        return int(self.y.sum())

    def rows(self, mask: np.ndarray) -> "SnapshotSet":
        return SnapshotSet(self.X[mask], self.y[mask], self.at_ms[mask], self.member_ids[mask])


@dataclass(frozen=True, eq=False)
class TemporalSplit:
    train: SnapshotSet
    holdout: SnapshotSet
    train_instants: tuple[datetime, ...]
    holdout_instants: tuple[datetime, ...]
    horizon_days: int


def local_midnight(instant: datetime, tz) -> datetime:
    return datetime.combine(instant.astimezone(tz).date(), time(0), tzinfo=tz)


def snapshot_instants(
    gym: GymColumns,
    *,
    as_of: datetime,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    step_days: int = DEFAULT_STEP_DAYS,
    warmup_days: int = DEFAULT_WARMUP_DAYS,
) -> list[datetime]:
    """Snapshot instants, oldest first (see the module's docstring)."""
    starts = [int(a.min()) for a in (gym.entry_ms, gym.enrolled_ms) if a.size]
    if not starts:
        return []
    first = from_ms(min(starts)) + timedelta(days=warmup_days)
    last_day = local_midnight(as_of - timedelta(days=horizon_days), gym.tz).date()
    instants = []
    day = last_day
    while True:
        instant = datetime.combine(day, time(0), tzinfo=gym.tz)
        if instant < first:
            break
        if instant + timedelta(days=horizon_days) <= as_of:
            instants.append(instant)
        day -= timedelta(days=step_days)
    return instants[::-1]


def build_snapshots(
    gym: GymColumns, instants: Sequence[datetime], *, horizon_days: int = DEFAULT_HORIZON_DAYS
) -> SnapshotSet:
    """One row per member active at each instant, with features before it and its label."""
    members, ats, labels = [], [], []
    horizon_ms = horizon_days * MS_PER_DAY
    for instant in instants:
        at = to_ms(instant)
        active = (gym.enrolled_ms < at) & (gym.cancelled_ms > at)
        index = np.flatnonzero(active)
        members.append(index)
        ats.append(np.full(index.size, at, dtype=np.int64))
        labels.append((gym.cancelled_ms[index] <= at + horizon_ms).astype(np.int8))
    member = np.concatenate(members) if members else np.zeros(0, dtype=np.int64)
    at_ms = np.concatenate(ats) if ats else np.zeros(0, dtype=np.int64)
    return SnapshotSet(
        X=feature_matrix(gym, member, at_ms),
        y=np.concatenate(labels) if labels else np.zeros(0, dtype=np.int8),
        at_ms=at_ms,
        member_ids=gym.member_ids[member],
    )


def temporal_split(
    snapshots: SnapshotSet,
    instants: Sequence[datetime],
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    holdout_fraction: float = DEFAULT_HOLDOUT_FRACTION,
) -> TemporalSplit:
    """Train on the past, hold out the last period, with a gap of ``horizon_days`` between."""
    ordered = sorted(instants)
    n_holdout = max(1, math.ceil(holdout_fraction * len(ordered)))
    holdout_instants = ordered[-n_holdout:]
    start = holdout_instants[0]
    train_instants = [t for t in ordered if t + timedelta(days=horizon_days) <= start]
    if not train_instants:
        raise ValueError(
            f"history too short: {len(ordered)} snapshot instants leave none for training before "
            f"the hold-out starting {start.isoformat()} with a {horizon_days}-day gap"
        )
    train_ms = np.array([to_ms(t) for t in train_instants], dtype=np.int64)
    holdout_ms = np.array([to_ms(t) for t in holdout_instants], dtype=np.int64)
    return TemporalSplit(
        train=snapshots.rows(np.isin(snapshots.at_ms, train_ms)),
        holdout=snapshots.rows(np.isin(snapshots.at_ms, holdout_ms)),
        train_instants=tuple(train_instants),
        holdout_instants=tuple(holdout_instants),
        horizon_days=horizon_days,
    )
