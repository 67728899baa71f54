"""What the cache stores and for how long: the cached routes, their TTLs and fill-lock timing
(settings), the canonical form of a query in a key, and an answer's stored bytes."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from frequenta_gateway.settings import GatewaySettings

# Names of the cached routes (the `route` label, the entry keys' second part).
FREQUENCIA = "frequencia"
RISCO = "risco-churn"
LISTA = "alunos-risco"


@dataclass(frozen=True)
class CachePolicy:
    ttl_seconds: dict[str, int]  # by route: a backstop, correctness comes from the versions
    lock_milliseconds: int = 2000  # how long one process may hold a key's fill lock
    lock_wait_seconds: float = 0.5  # how long the others poll for its result
    poll_seconds: float = 0.02

    @classmethod
    def of(cls, settings: GatewaySettings) -> "CachePolicy":
        return cls(
            ttl_seconds={
                FREQUENCIA: settings.cache_frequencia_ttl_seconds,
                RISCO: settings.cache_risco_ttl_seconds,
                LISTA: settings.cache_lista_ttl_seconds,
            },
            lock_milliseconds=settings.cache_lock_milliseconds,
            lock_wait_seconds=settings.cache_lock_wait_seconds,
        )


def canonical(params: dict[str, Any]) -> str:
    """Query parameters in a fixed order, unset ones left out, values escaped."""
    pairs = [
        (name, value.value if isinstance(value, Enum) else str(value))
        for name, value in sorted(params.items())
        if value is not None
    ]
    return urlencode(pairs)


class LocalDate:
    """Today's date in ``tz`` as text (every entry's key carries it), worked out again only once
    the next local midnight has passed, instead of on every request."""

    def __init__(self, tz: ZoneInfo, clock: Callable[[], float] = time.time) -> None:
        self._tz = tz
        self._clock = clock
        self._text = ""
        self._since = self._until = 0.0  # the local day's first instant and the next one's

    def __call__(self) -> str:
        instant = self._clock()
        if not self._since <= instant < self._until:  # another day (or a clock set back)
            today = datetime.fromtimestamp(instant, self._tz).date()
            self._text = today.isoformat()
            self._since = _first_instant(today, self._tz)
            self._until = _first_instant(today + timedelta(days=1), self._tz)
        return self._text


def _first_instant(day: date, tz: ZoneInfo) -> float:
    """Epoch seconds of ``day``'s local midnight (where a zone skipped it, the instant the
    skip happened)."""
    return datetime.combine(day, datetime.min.time(), tz).timestamp()


def encode(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()
