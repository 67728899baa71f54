"""Confidence intervals of proportions (pure).

- One proportion: Wilson's score interval, from scipy (``binomtest(...).proportion_ci``).
- The difference of two independent proportions: Newcombe's hybrid score interval ("method 10"
  of R. G. Newcombe, Interval estimation for the difference between independent proportions:
  comparison of eleven methods, Statistics in Medicine 17, 873-890, 1998): with p1 in (l1, u1)
  and p2 in (l2, u2) their Wilson intervals and d = p1 - p2,
      lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2),  upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
  It stays within [-1, 1], is defined with zero counts and keeps close to its nominal coverage
  for small samples, unlike the Wald interval.
"""

import math
from dataclasses import dataclass

from scipy.stats import binomtest

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    lower: float
    upper: float


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> Interval:
    """Wilson's score interval of successes / trials; (0, 1) when there are no trials."""
    if trials == 0:
        return Interval(0.0, 1.0)
    ci = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return Interval(float(ci.low), float(ci.high))


def newcombe_difference(
    successes1: int, trials1: int, successes2: int, trials2: int, confidence: float = CONFIDENCE
) -> Interval:
    """Newcombe's hybrid score interval of p1 - p2 (method 10, no continuity correction)."""
    p1 = successes1 / trials1 if trials1 else 0.0
    p2 = successes2 / trials2 if trials2 else 0.0
    first, second = wilson(successes1, trials1, confidence), wilson(successes2, trials2, confidence)
    d = p1 - p2
    lower = d - math.hypot(p1 - first.lower, second.upper - p2)
    upper = d + math.hypot(first.upper - p1, p2 - second.lower)
    return Interval(max(lower, -1.0), min(upper, 1.0))
