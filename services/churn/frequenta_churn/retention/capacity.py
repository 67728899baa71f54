"""A day's work against the risk it covers (pure): the list sized to what the team can call.

The expected cancellations among the matching members are the sum of their probabilities (the
model is calibrated: docs/model.md). The team calls the first ``capacity`` of them in rank
order, control members left out (they are never called); the coverage is the share of the
expected cancellations that those calls reach."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CapacityCover:
    capacity: int
    expected: float  # expected cancellations among every matching member
    expected_within: float  # among the first `capacity` members to call
    coverage: float  # expected_within / expected, 0..1 (0 when nothing is expected)


def capacity_cover(probabilities: np.ndarray, control: np.ndarray, capacity: int) -> CapacityCover:
    """``probabilities`` of the matching members in rank order, ``control`` a mask of the same
    length (True: control group)."""
    p = np.asarray(probabilities, dtype=np.float64)
    expected = float(p.sum())
    within = float(p[~np.asarray(control, dtype=bool)][:capacity].sum())
    coverage = min(within / expected, 1.0) if expected > 0 else 0.0
    return CapacityCover(capacity, round(expected, 4), round(within, 4), round(coverage, 4))
