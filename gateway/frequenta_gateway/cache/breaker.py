"""A small circuit breaker for the cache: after a Redis failure, the cache is bypassed for a few
seconds, so a dead or slow Redis costs one timeout now and then instead of one per request.

Closed: every request uses Redis. Open (after a failure): none does, until ``open_seconds`` have
passed; then one request at a time probes Redis (a probe that never reports, e.g. a cancelled
request, is replaced after ``open_seconds``). A successful probe closes it again.
"""

import time
from collections.abc import Callable


class Breaker:
    def __init__(self, open_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._open_seconds = open_seconds
        self._clock = clock
        self._open_until: float | None = None  # None: closed
        self._probe_until: float | None = None  # a probe is out until then

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def allow(self) -> bool:
        """Whether this request may use Redis (closed, or it is the probe)."""
        if self._open_until is None:
            return True
        now = self._clock()
        if now < self._open_until:
            return False
        if self._probe_until is not None and now < self._probe_until:
            return False
        self._probe_until = now + self._open_seconds
        return True

    def failed(self) -> None:
        self._open_until = self._clock() + self._open_seconds
        self._probe_until = None

    def succeeded(self) -> bool:
        """Close the breaker; True if it was open (Redis is back)."""
        recovered = self._open_until is not None
        self._open_until = self._probe_until = None
        return recovered
