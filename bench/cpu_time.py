"""CPU time of processes, read from /proc (Linux): what a scenario cost each part of the stack,
per request, which holds better than requests/s on a machine other work shares."""

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system time of every thread of ``pid`` so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def snapshot(groups: Mapping[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each group of processes."""
    return {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in groups.items()}


def spent(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    return {name: max(after.get(name, 0.0) - before[name], 0.0) for name in before}


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
        before = sum(snapshot(groups()).values())
        time.sleep(window)
        if sum(snapshot(groups()).values()) - before < idle_share * window:
            return True
    return False
