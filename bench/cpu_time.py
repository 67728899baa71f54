"""CPU time of processes, read from /proc (Linux): what a scenario cost each part of the stack,
per request, which holds better than requests/s on a machine other work shares."""

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import asyncpg

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system time of every thread of ``pid`` so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_by_name(pids: Mapping[int, str]) -> dict[str, float]:
    """CPU seconds so far of each named group of processes (``pids``: pid -> group name)."""
    used: dict[str, float] = {}
    for pid, name in pids.items():
        used[name] = used.get(name, 0.0) + cpu_seconds(pid)
    return used


async def backend_pids(dsn: str) -> list[int]:
    """The PostgreSQL backends serving ``dsn``'s database, but this query's own."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return [row["pid"] for row in rows]
    finally:
        await connection.close()


def snapshot(groups: Mapping[str, list[int]]) -> dict[str, dict[int, float]]:
    """CPU seconds so far of each process, by group."""
    return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}


def spent(
    before: Mapping[str, Mapping[int, float]], after: Mapping[str, Mapping[int, float]]
) -> dict[str, float]:
    """CPU seconds each group used between the snapshots: processes started in between count
    from zero; those gone by ``after`` (a PostgreSQL backend of a connection closed) are lost."""
    return {
        name: sum(
            max(seconds - before.get(name, {}).get(pid, 0.0), 0.0)
            for pid, seconds in after.get(name, {}).items()
        )
        for name in before
    }


def _total(groups: Mapping[str, list[int]]) -> float:
    return sum(sum(cpu_seconds(pid) for pid in pids) for pids in groups.values())


def settle(
    groups: Callable[[], Mapping[str, list[int]]],
    *,
    idle_share: float = 0.1,
    window: float = 2.0,
    within: float = 180.0,
) -> bool:
    """Waits until the processes together use less than ``idle_share`` of a core over
    ``window`` seconds (background work done: outbox relayed, events projected); False if
    they are still busy after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        watched = groups()
        before = _total(watched)
        time.sleep(window)
        if _total(watched) - before < idle_share * window:
            return True
    return False
