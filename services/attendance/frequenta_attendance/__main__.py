"""``python -m frequenta_attendance serve``: run the attendance gRPC server until SIGTERM/SIGINT,
let in-flight calls finish, then exit 0.

``python -m frequenta_attendance relay``: publish the outbox to RabbitMQ until SIGTERM/SIGINT,
finish the batch in flight, then exit 0.

``python -m frequenta_attendance worker ingest``: consume the bulk-import queue until
SIGTERM/SIGINT, finish the chunks in flight, then exit 0.

``python -m frequenta_attendance worker reports``: build the daily reports of the daily-reports
queue until SIGTERM/SIGINT, finish the builds in flight, then exit 0.

``python -m frequenta_attendance scheduler``: queue the daily reports when they are due until
SIGTERM/SIGINT, then exit 0."""

import argparse
import asyncio
import logging
import signal

from frequenta_attendance.bootstrap import build_server, create_first_admin, unit_of_work_factory
from frequenta_attendance.ingest import run_ingest_worker
from frequenta_attendance.passwords import Passwords
from frequenta_attendance.relay import Relay
from frequenta_attendance.reports.scheduler import run_scheduler
from frequenta_attendance.reports.worker import run_reports_worker
from frequenta_attendance.settings import AttendanceSettings
from frequenta_kit import event_loop, gc_tuning
from frequenta_kit.cache_versions import CacheVersions
from frequenta_kit.database import create_engine
from frequenta_kit.logs import configure_logging
from frequenta_kit.metrics import serve_metrics

log = logging.getLogger("frequenta_attendance")

# python -m frequenta_attendance worker <name>: the consumer of each work queue.
WORKERS = {"ingest": run_ingest_worker, "reports": run_reports_worker}
# The process kind of each command (its metrics port, frequenta_kit.metrics).
KINDS = {"serve": "attendance", "relay": "relay", "scheduler": "scheduler"}


async def serve(settings: AttendanceSettings) -> None:
    # A fixed pool (no overflow): under load an overflowing pool opened and closed a connection
    # about every 25 check-ins (docs/http-load.md).
    engine = create_engine(
        settings.attendance_database_url, pool_size=settings.database_pool_size, max_overflow=0
    )
    try:
        await create_first_admin(settings, unit_of_work_factory(engine), Passwords())
        async with CacheVersions.open(settings) as versions:
            server = build_server(settings, engine, versions=versions)
            await server.serve_until_signalled(grace=settings.shutdown_grace_seconds)
    finally:
        await engine.dispose()
    log.info("attendance stopped")


async def relay(settings: AttendanceSettings) -> None:
    stop = asyncio.Event()

    def on_signal() -> None:
        log.info("shutdown signal received; finishing the batch in flight")
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    engine = create_engine(settings.attendance_database_url, pool_size=2)
    try:
        await Relay(settings, engine).run(stop)
    finally:
        await engine.dispose()
    log.info("relay stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frequenta_attendance")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the AttendanceService over gRPC")
    commands.add_parser("relay", help="publish the outbox to RabbitMQ")
    worker = commands.add_parser("worker", help="consume a work queue")
    worker.add_argument(
        "queue",
        choices=sorted(WORKERS),
        help="ingest: bulk check-in imports; reports: daily attendance reports",
    )
    commands.add_parser("scheduler", help="queue the daily reports when they are due")
    args = parser.parse_args(argv)

    settings = AttendanceSettings()
    configure_logging(settings.log_level, settings.log_json, access_log=settings.grpc_access_log)
    gc_tuning.for_bulk_work()  # bulk imports pass through every one of these processes
    kind = f"{args.queue}-worker" if args.command == "worker" else KINDS[args.command]
    serve_metrics(settings, kind)
    if args.command == "worker":
        event_loop.run(WORKERS[args.queue](settings))
        return 0
    if args.command == "scheduler":
        event_loop.run(run_scheduler(settings))
        return 0
    event_loop.run(serve(settings) if args.command == "serve" else relay(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
