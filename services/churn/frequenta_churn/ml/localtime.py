"""The gym's local calendar, vectorised: UTC instants (int64 milliseconds since the Unix epoch)
to local day numbers (days since 1970-01-01 in the gym's time zone).

``zoneinfo`` converts one instant at a time; a history has millions. The UTC offset only changes
at the zone's transitions, so the offsets are sampled every six hours of each year the data
touches, each change is narrowed to the exact millisecond by bisection (once per year and zone,
cached), and every instant is then mapped with one ``searchsorted``. Exact as long as a zone
does not change its offset twice within six hours (no zone does).
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

MS_PER_DAY = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_STEP_MS = 6 * 3_600_000


def to_ms(instant: datetime) -> int:
    """Milliseconds since the Unix epoch, floored (exact integer arithmetic)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant {instant!r} has no time zone; every instant must be aware")
    return (instant - _EPOCH) // _ONE_MS


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=int(ms))


def _offset_ms(ms: int, tz: ZoneInfo) -> int:
    offset = from_ms(ms).astimezone(tz).utcoffset()
    assert offset is not None
    return offset // _ONE_MS


def local_day(instant: datetime, tz: ZoneInfo) -> int:
    """The local day number of one instant."""
    return instant.astimezone(tz).date().toordinal() - _EPOCH.date().toordinal()


@lru_cache(maxsize=512)
def _year_segments(tz: ZoneInfo, year: int) -> tuple[tuple[int, int], ...]:
    """(start, offset) pairs covering one UTC calendar year: its first instant and every
    transition inside it, each narrowed to the millisecond."""
    start = to_ms(datetime(year, 1, 1, tzinfo=UTC))
    end = to_ms(datetime(year + 1, 1, 1, tzinfo=UTC))
    samples = [*range(start, end, _STEP_MS), end]
    offsets = [_offset_ms(point, tz) for point in samples]
    segments = [(start, offsets[0])]
    for left, right, before, after in zip(samples, samples[1:], offsets, offsets[1:], strict=False):
        if before == after:
            continue
        low, high = left, right  # offset(low) == before, offset(high) == after
        while high - low > 1:
            middle = (low + high) // 2
            if _offset_ms(middle, tz) == before:
                low = middle
            else:
                high = middle
        segments.append((high, after))
    return tuple(segments)


def local_day_numbers(ms: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Local day numbers (int64) of many instants given as int64 milliseconds since the epoch.
    Each year's transitions are found once per process and cached."""
    ms = np.asarray(ms, dtype=np.int64)
    if ms.size == 0:
        return np.zeros(0, dtype=np.int64)
    first, last = from_ms(int(ms.min())).year, from_ms(int(ms.max())).year
    segments = [seg for year in range(first, last + 1) for seg in _year_segments(tz, year)]
    starts = np.fromiter((start for start, _ in segments), np.int64, len(segments))
    values = np.fromiter((offset for _, offset in segments), np.int64, len(segments))
    local = ms + values[np.searchsorted(starts, ms, side="right") - 1]
    return np.floor_divide(local, MS_PER_DAY)
