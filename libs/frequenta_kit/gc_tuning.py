"""Garbage-collector settings for processes that handle bulk data (docs/bulk-imports.md).

CPython collects its youngest generation every 700 net allocations of container objects, and
now and then all of them, walking every object the process holds: the modules, SQLAlchemy's
and protobuf's structures, some 200,000 objects before any work. A bulk import makes a few
objects per row (100,000-row batches), so the collector ran about a thousand times per
100,000 rows and took as much CPU as the work itself. ``for_bulk_work`` freezes what start-up
made (never collected, never walked again) and collects the youngest generation every 50,000
allocations instead: the same cycles are freed, about fifty times less often.
"""

import gc

YOUNG_THRESHOLD = 50_000


def for_bulk_work() -> None:
    """Call once, after the imports and start-up, before the process takes work."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
