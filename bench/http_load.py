"""HTTP load on the running stack (``make bench``; docs/http-load.md): wrk with 64 connections
against the gateway for POST /aluno/checkin, GET /aluno/{id}/frequencia and
GET /aluno/{id}/risco-churn, cached and uncached, and, in the same run, the machine's ceilings
(bench/http_ceilings.py: a constant, one gRPC call, one Redis GET, served like the gateway).
One table: requests/s, p50, p99, CPU per request of each part of the stack, the answers'
statuses, and the goals:

- check-in rps >= 1/2 of the one-gRPC-call ceiling, with p99 <= 50 ms;
- cached GET rps >= 80% of the one-Redis-GET ceiling.

The stack is the Procfile's processes on free ports over databases, a RabbitMQ virtual host and a
Redis key prefix of its own (bench/http_stack.py), with a simulated gym seeded over REST and a
churn model trained on it. "Uncached" reads go to a second gateway over the same services,
started with ``--uncached-env`` (default FREQUENTA_CACHE_ENABLED=false); the run checks it wrote
no key to Redis. With POST /auth/token in the gateway's OpenAPI, every request carries the
admin's bearer token.

    python bench/http_load.py [--seconds 15 --warmup 5 --connections 64 --threads 2]
                              [--members 600 --months 8] [--scenarios all]
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import httpx
from bench_auth import BearerAuth, token_endpoint
from cpu_time import settle, snapshot, spent
from http_fixtures import read_pool, register_members, seed_gym, step, train_model
from http_report import Row, render
from http_stack import Stack, launch, redis_keys
from wrk_load import Load, WrkMissing, run, wrk_binary

BENCH = Path(__file__).resolve().parent
CHECKIN_ENROLLED_DAYS_AGO = 400
CHECKIN_WINDOW_DAYS = 40  # each wrk run of the check-in scenario writes visits in its own window
UNCACHED = "gateway-uncached"  # the second gateway, started with --uncached-env


@dataclass(frozen=True)
class Scenario:
    name: str
    target: str  # the process answering: "ceilings", "gateway" or "gateway-uncached"
    script: str
    options: dict[str, str]
    expected: int  # the status of every answer


def scenarios() -> list[Scenario]:
    frequencia, risco = "/aluno/{id}/frequencia", "/aluno/{id}/risco-churn"
    return [
        Scenario("ceiling: constant", "ceilings", "get.lua", {"path": "/const"}, 200),
        Scenario("ceiling: one gRPC call", "ceilings", "get.lua", {"path": "/grpc"}, 200),
        Scenario("ceiling: one Redis GET", "ceilings", "get.lua", {"path": "/redis"}, 200),
        Scenario("GET frequencia, cached", "gateway", "get.lua", {"path": frequencia}, 200),
        Scenario("GET frequencia, uncached", UNCACHED, "get.lua", {"path": frequencia}, 200),
        Scenario("GET risco-churn, cached", "gateway", "get.lua", {"path": risco}, 200),
        Scenario("GET risco-churn, uncached", UNCACHED, "get.lua", {"path": risco}, 200),
        Scenario("POST check-in", "gateway", "checkin.lua", {}, 201),
    ]


SHORT_NAMES = {
    "const": "ceiling: constant",
    "grpc": "ceiling: one gRPC call",
    "redis": "ceiling: one Redis GET",
    "frequencia": "GET frequencia, cached",
    "frequencia-uncached": "GET frequencia, uncached",
    "risco": "GET risco-churn, cached",
    "risco-uncached": "GET risco-churn, uncached",
    "checkin": "POST check-in",
}


@dataclass
class Run:
    """What the scenarios need: where to send them, with which ids and token."""

    stack: Stack
    urls: dict[str, str]
    files: dict[str, Path]
    token: Callable[[], str]
    checkin_base: datetime
    load: Load
    warmup: Load
    notes: list[str] = field(default_factory=list)
    checkin_runs: int = 0

    def options(self, scenario: Scenario) -> dict[str, str]:
        options = dict(scenario.options, token=self.token())
        if scenario.script == "checkin.lua":
            window = self.checkin_base + timedelta(days=CHECKIN_WINDOW_DAYS * self.checkin_runs)
            self.checkin_runs += 1
            options.update(ids=str(self.files["checkin"]), base=str(int(window.timestamp())))
        elif "{id}" in scenario.options.get("path", ""):
            options["ids"] = str(self.files["read"])
        return options

    def measure(self, scenario: Scenario) -> Row:
        """Warm-up, then the measured run; CPU counted from its start until the work it caused
        is done (events relayed and projected after the check-ins)."""
        url = self.urls[scenario.target]
        groups = partial(self.stack.cpu_groups, scenario.target)
        if not settle(groups):
            self.notes.append(f"{scenario.name}: the stack was still busy before the run")
        print(f"{scenario.name}: warm-up {self.warmup.seconds:g} s...", flush=True)
        warm = run(url, scenario.script, self.options(scenario), self.warmup)
        if problem := warm.misuse(scenario.expected):
            return Row(scenario.name, scenario.expected, warm, f"warm-up: {problem}")
        before = snapshot(groups())
        figures = run(url, scenario.script, self.options(scenario), self.load)
        settle(groups)
        cost = spent(before, snapshot(groups()))
        cpu_ms = {name: seconds * 1000 / max(figures.requests, 1) for name, seconds in cost.items()}
        print(
            f"  {figures.rps:,.0f} rps, p50 {figures.p50_ms:.1f} ms, p99 {figures.p99_ms:.1f} ms",
            flush=True,
        )
        problem = figures.misuse(scenario.expected)
        return Row(scenario.name, scenario.expected, figures, problem, cpu_ms)


def write_ids(path: Path, ids: list[int]) -> Path:
    path.write_text("".join(f"{member_id}\n" for member_id in ids))
    return path


def settings_pairs(pairs: list[str]) -> dict[str, str]:
    parsed = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.startswith("FREQUENTA_"):
            raise SystemExit(f"expected FREQUENTA_NAME=value, got {pair!r}")
        parsed[name] = value
    return parsed


def prepare(stack: Stack, args: argparse.Namespace, work: Path) -> Run:
    """The data (a seeded gym, a model, the members to read and to check in) and the bench's
    own processes (the ceilings app, the uncached gateway)."""
    endpoint = token_endpoint(stack.base_url, *stack.admin)
    auth = BearerAuth(endpoint) if endpoint else None
    print(f"auth: {'bearer tokens from POST /auth/token' if auth else 'none (no /auth/token)'}")
    with httpx.Client(base_url=stack.base_url, timeout=120, auth=auth) as api:
        visits = step("seeding the gym over REST", seed_gym, api, args.members, args.months, 42)
        print(f"  {args.members:,} members, {visits:,} visits", flush=True)
        print(f"  model {step('training the churn model', train_model, api)}", flush=True)
        read_ids = step("members for the reads", read_pool, api, args.read_members)
        checkin_ids = step(
            "members for the check-ins",
            register_members,
            api,
            args.checkin_members,
            CHECKIN_ENROLLED_DAYS_AGO,
        )
    ceilings = {"FREQUENTA_REDIS_KEY_PREFIX": f"{stack.redis_prefix}-ceilings"}
    uncached = settings_pairs(args.uncached_env)
    uncached["FREQUENTA_REDIS_KEY_PREFIX"] = f"{stack.redis_prefix}-uncached"
    urls = {
        "gateway": stack.base_url,
        "ceilings": stack.start("ceilings", f"python {BENCH / 'http_ceilings.py'}", ceilings),
        UNCACHED: stack.start(UNCACHED, "python -m frequenta_gateway serve", uncached),
    }
    return Run(
        stack=stack,
        urls=urls,
        files={
            "read": write_ids(work / "read-ids.txt", read_ids),
            "checkin": write_ids(work / "checkin-ids.txt", checkin_ids),
        },
        token=(lambda: auth.token(renew=True)) if auth else (lambda: ""),
        checkin_base=datetime.now(UTC) - timedelta(days=CHECKIN_ENROLLED_DAYS_AGO - 5),
        load=Load(args.connections, args.threads, args.seconds),
        warmup=Load(args.connections, args.threads, args.warmup),
        notes=[
            f"gym: {args.members:,} members over {args.months} months ({visits:,} visits); "
            f"reads cycle over {len(read_ids)} members with visits, check-ins over "
            f"{len(checkin_ids)} members"
        ],
    )


def cache_notes(stack: Stack, rows: list[Row], targets: set[str]) -> list[str]:
    """Whether the cached reads had a cache to hit and the uncached ones truly missed."""
    notes = []
    if "gateway" in targets:
        count = len(redis_keys(stack.redis_prefix))
        notes.append(f"keys under the gateway's Redis prefix after the run: {count}")
        if count == 0:
            notes.append("  (none: this gateway caches nothing, so 'cached' reads are uncached)")
    if UNCACHED in targets:
        keys = redis_keys(f"{stack.redis_prefix}-uncached")
        notes.append(f"keys the uncached gateway wrote to Redis: {len(keys)}")
        if keys:
            sample = ", ".join(key.decode(errors="replace") for key in keys[:3])
            notes.append(
                f"  WARNING: e.g. {sample}; if these are cache entries, the 'uncached' reads "
                "were cached: pass the gateway's cache-off setting with --uncached-env"
            )
    return notes


def selected(names: str) -> list[Scenario]:
    if names == "all":
        return scenarios()
    wanted = {SHORT_NAMES.get(name.strip(), name.strip()) for name in names.split(",")}
    unknown = wanted - {scenario.name for scenario in scenarios()}
    if unknown:
        raise SystemExit(f"unknown scenarios {sorted(unknown)}; known: {', '.join(SHORT_NAMES)}")
    return [scenario for scenario in scenarios() if scenario.name in wanted]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured, per scenario")
    parser.add_argument("--warmup", type=float, default=5.0, help="not measured, per scenario")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--members", type=int, default=600, help="members of the seeded gym")
    parser.add_argument("--months", type=int, default=8, help="months of the seeded gym")
    parser.add_argument("--read-members", type=int, default=200)
    parser.add_argument("--checkin-members", type=int, default=1000)
    parser.add_argument("--scenarios", default="all", help=f"all, or of: {','.join(SHORT_NAMES)}")
    parser.add_argument(
        "--uncached-env",
        action="append",
        default=None,
        metavar="FREQUENTA_NAME=value",
        help="settings of the second gateway that serve uncached reads "
        "(default FREQUENTA_CACHE_ENABLED=false; repeatable)",
    )
    parser.add_argument(
        "--stack-env",
        action="append",
        default=[],
        metavar="FREQUENTA_NAME=value",
        help="extra settings of the stack's processes, e.g. a higher write rate limit",
    )
    args = parser.parse_args()
    args.uncached_env = args.uncached_env or ["FREQUENTA_CACHE_ENABLED=false"]
    return args


def main() -> int:
    args = arguments()
    chosen = selected(args.scenarios)
    try:
        wrk_binary()
    except WrkMissing as error:
        print(error, file=sys.stderr)
        return 2
    load_before = os.getloadavg()
    with (
        tempfile.TemporaryDirectory(prefix="frequenta-http-") as work,
        launch(Path(work) / "run", settings_pairs(args.stack_env)) as stack,
    ):
        started = time.monotonic()
        prepared = prepare(stack, args, Path(work))
        rows = [prepared.measure(scenario) for scenario in chosen]
        notes = [
            f"wrk -c {args.connections} -t {args.threads}: {args.warmup:g} s warm-up, "
            f"{args.seconds:g} s measured per scenario; {os.cpu_count()} CPUs, load average "
            f"{load_before[0]:.1f} before and {os.getloadavg()[0]:.1f} after "
            "(a shared machine: read the figures as ranges)",
            "CPU ms/req: http = the process answering, services = the Procfile's other "
            "processes, postgres = the stack's backends; from the run's start until the work "
            "it caused is done",
            *prepared.notes,
            *cache_notes(stack, rows, {scenario.target for scenario in chosen}),
            f"stack up for {time.monotonic() - started:.0f} s",
        ]
        failed = [row for row in rows if row.problem]
        if failed:
            print(stack.logs(lines=30), file=sys.stderr)
    print()
    print(render(rows, notes))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
