"""python -m frequenta_sim seed | stats (docs/simulator.md)."""

import argparse
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime

import httpx

from frequenta_sim import api
from frequenta_sim.generator import simulate
from frequenta_sim.gym import SimulatedGym
from frequenta_sim.loader import GymLoader
from frequenta_sim.login import LoginFailed, admin_auth
from frequenta_sim.params import SimParams
from frequenta_sim.stats import report


def instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give an offset, e.g. 2026-03-01T00:00:00-03:00")
    return moment


def this_hour() -> datetime:
    """The default end of the history: the start of the current hour (UTC), so that a re-run
    within the hour rebuilds the very same gym and changes nothing."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def gym_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--members", type=int, default=SimParams.members, help="members ever")
    parser.add_argument("--months", type=int, default=SimParams.months, help="history length")
    parser.add_argument("--seed", type=int, default=42, help="random seed (>= 0)")
    parser.add_argument(
        "--until",
        type=instant,
        default=None,
        help="end of the history, ISO with offset (default: the start of the current hour)",
    )


def build(args: argparse.Namespace) -> tuple[SimulatedGym, float]:
    params = replace(SimParams(), members=args.members, months=args.months)
    started = time.perf_counter()
    gym = simulate(params, seed=args.seed, until=args.until or this_hour())
    return gym, time.perf_counter() - started


def seed(args: argparse.Namespace) -> int:
    try:
        with httpx.Client(base_url=args.api, timeout=args.timeout, auth=admin_auth()) as client:
            return seed_through(client, args)
    except (api.ApiError, httpx.HTTPError, TimeoutError, RuntimeError, LoginFailed) as error:
        print(f"seeding {args.api} failed: {error}", file=sys.stderr)
        return 1


def seed_through(client: httpx.Client, args: argparse.Namespace) -> int:
    if args.if_empty and (total := api.member_total(client)) > 0:
        print(f"the gym at {client.base_url} already has {total} members: not seeding")
        return 0
    gym, seconds = build(args)
    print(
        f"simulated {len(gym.members)} members and {gym.visit_count} visits "
        f"(seed {gym.seed}, until {gym.until.isoformat()}) in {seconds:.1f}s"
    )
    started = time.perf_counter()
    loader = GymLoader(
        client, batch_size=args.batch_size, workers=args.workers, progress=not args.quiet
    )
    outcome = loader.load(gym)
    print("\n".join(outcome.lines()))
    print(f"loaded through {client.base_url} in {time.perf_counter() - started:.1f}s")
    if outcome.skipped:
        print(
            f"{len(outcome.skipped)} e-mails belong to members of another run; to resume a run "
            "give its exact --members, --months, --seed and --until",
            file=sys.stderr,
        )
    return 0


def token(args: argparse.Namespace) -> int:
    """Prints an access token of the first admin (the credentials attendance reads)."""
    try:
        with httpx.Client(base_url=args.api, timeout=args.timeout, auth=admin_auth()) as client:
            response = client.get("/planos")
            if response.status_code != 200:
                raise api.ApiError(response, "logging in")
            print(response.request.headers["Authorization"].removeprefix("Bearer "))
    except (api.ApiError, httpx.HTTPError, LoginFailed) as error:
        print(f"no token from {args.api}: {error}", file=sys.stderr)
        return 1
    return 0


def stats(args: argparse.Namespace) -> int:
    gym, seconds = build(args)
    print(report(gym))
    print(f"\ngenerated in {seconds:.2f}s")
    return 0


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m frequenta_sim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed", help="simulate a gym and write it through the API")
    seeding.add_argument("--api", default="http://127.0.0.1:8000", help="gateway base URL")
    gym_arguments(seeding)
    seeding.add_argument(
        "--if-empty", action="store_true", help="do nothing when the gym has members"
    )
    seeding.add_argument("--batch-size", type=int, default=5_000, help="check-ins per job")
    seeding.add_argument("--workers", type=int, default=8, help="requests in flight")
    seeding.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    seeding.add_argument("--quiet", action="store_true", help="no progress bars")
    seeding.set_defaults(run=seed)
    login = commands.add_parser("token", help="print an access token of the first admin")
    login.add_argument("--api", default="http://127.0.0.1:8000", help="gateway base URL")
    login.add_argument("--timeout", type=float, default=30.0, help="seconds")
    login.set_defaults(run=token)
    summary = commands.add_parser("stats", help="print the simulated churn by plan and archetype")
    gym_arguments(summary)
    summary.set_defaults(run=stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)
