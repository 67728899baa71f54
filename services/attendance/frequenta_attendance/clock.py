"""The one source of "now": a callable returning an aware UTC datetime, injected so tests can
control time."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)
