"""One wrk run and its figures: requests/s, p50, p99 and the count of each HTTP status, read
from the JSON line the scripts of bench/wrk/ print in wrk's ``done()`` callback."""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent / "wrk"
MARK = "WRK_JSON "
HINTS = {
    401: " (no token, or a token the gateway refuses)",
    403: " (the bench's admin token lacks a role)",
    409: " (a conflict: check-ins overlapping visits already stored?)",
    429: " (rate limited: raise the stack's limit with --stack-env FREQUENTA_...=...)",
}


class WrkMissing(RuntimeError):
    pass


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing(
            "wrk is not installed: `make bench` installs it (`apt-get install -y wrk`, as root); "
            "on a machine without apt, build it from https://github.com/wg/wrk"
        )
    return found


@dataclass(frozen=True)
class Load:
    """How hard to push: wrk's -c, -t and -d."""

    connections: int = 64
    threads: int = 2
    seconds: float = 15.0


@dataclass(frozen=True)
class Figures:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int]
    socket_errors: dict[str, int]

    def answers(self) -> str:
        """Every status with its count, and the socket errors (timeouts under overload)."""
        parts = [f"{n:,} x {status}" for status, n in sorted(self.statuses.items())]
        parts += [f"{n:,} {kind} errors" for kind, n in self.socket_errors.items() if n]
        return ", ".join(parts)

    def misuse(self, expected: int) -> str:
        """What says the bench itself is wrong (a 4xx: no token, a rate limit, a conflicting
        check-in; another success than ``expected``; nothing answered), in words; empty when
        none. 5xx and timeouts are the stack's answers under load, reported, not errors."""
        problems = [
            f"{n} x HTTP {status}{HINTS.get(status, '')}"
            for status, n in sorted(self.statuses.items())
            if status != expected and status < 500
        ]
        if not self.requests:
            problems.append("no request completed")
        return ", ".join(problems)


def parse(output: str) -> Figures:
    line = next((ln for ln in output.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no {MARK.strip()} line:\n{output}")
    raw = json.loads(line[len(MARK) :])
    errors = dict(raw["errors"])
    errors.pop("status")  # non-2xx/3xx answers: counted per status in "statuses"
    return Figures(
        requests=raw["requests"],
        rps=raw["rps"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        statuses={int(status): n for status, n in raw["statuses"].items()},
        socket_errors=errors,
    )


def run(url: str, script: str, options: dict[str, str], load: Load) -> Figures:
    """``wrk`` against ``url`` with ``bench/wrk/<script>`` and its ``key=value`` options."""
    command = [
        wrk_binary(),
        f"-c{load.connections}",
        f"-t{load.threads}",
        f"-d{load.seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPTS / script),
        url,
        "--",
        f"threads={load.threads}",
        *(f"{key}={value}" for key, value in options.items()),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=load.seconds + 120)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse(done.stdout)
