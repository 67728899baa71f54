"""Churn service processes.

``python -m frequenta_churn serve``: the ChurnService over gRPC until SIGTERM/SIGINT.

``python -m frequenta_churn worker projection``: apply attendance's events to the feature
projection until SIGTERM/SIGINT, let the events in flight commit, then exit 0.

``python -m frequenta_churn worker retrain``: run the retraining jobs of the model-retraining
queue (export from attendance, train, register, promote) until SIGTERM/SIGINT.

``python -m frequenta_churn rebuild-projection``: fill the projection from attendance's export
streams (docs/churn.md), then exit (0, or 1 if attendance or the database failed).

``python -m frequenta_churn train [--if-none] [--timeout S]``: queue a retraining and wait for
its job (0 when it succeeded; with --if-none, nothing to do while a model serves)."""

import argparse
import logging

import grpc

from frequenta_churn.bootstrap import build_server
from frequenta_churn.projection.rebuild import run_rebuild
from frequenta_churn.projection.worker import run_projection_worker
from frequenta_churn.retrain_worker import run_retrain_worker
from frequenta_churn.settings import ChurnSettings
from frequenta_churn.train_command import train
from frequenta_kit import event_loop
from frequenta_kit.cache_versions import CacheVersions
from frequenta_kit.database import create_engine
from frequenta_kit.logs import configure_logging
from frequenta_kit.metrics import serve_metrics
from frequenta_kit.publisher import WorkPublisher

log = logging.getLogger("frequenta_churn")

# python -m frequenta_churn worker <name>: the consumer of each queue.
WORKERS = {"projection": run_projection_worker, "retrain": run_retrain_worker}
# The process kind of each worker (its metrics port, frequenta_kit.metrics).
WORKER_KINDS = {"projection": "churn-projection", "retrain": "retrain-worker"}


async def serve(settings: ChurnSettings) -> None:
    engine = create_engine(settings.churn_database_url)
    publisher = WorkPublisher(settings.rabbitmq_url, settings.topology)
    try:
        async with CacheVersions.open(settings) as versions:
            server = build_server(settings, engine, publisher, versions=versions)
            await server.serve_until_signalled(grace=settings.shutdown_grace_seconds)
    finally:
        await publisher.close()
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frequenta_churn")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the ChurnService over gRPC")
    worker = commands.add_parser("worker", help="consume a queue")
    worker.add_argument(
        "queue",
        choices=sorted(WORKERS),
        help="projection: attendance's events -> the projection; retrain: model retraining jobs",
    )
    commands.add_parser(
        "rebuild-projection", help="fill the feature projection from attendance's exports"
    )
    training = commands.add_parser(
        "train", help="queue a model retraining and wait for it (make up: --if-none)"
    )
    training.add_argument(
        "--if-none", action="store_true", help="do nothing when a model serves already"
    )
    training.add_argument(
        "--timeout", type=float, default=900.0, help="seconds to wait for the job (default 900)"
    )
    args = parser.parse_args(argv)
    settings = ChurnSettings()
    configure_logging(settings.log_level, settings.log_json, access_log=settings.grpc_access_log)
    if args.command == "worker":
        serve_metrics(settings, WORKER_KINDS[args.queue])
        event_loop.run(WORKERS[args.queue](settings))
    elif args.command == "train":
        return event_loop.run(train(settings, if_none=args.if_none, wait=args.timeout))
    elif args.command == "rebuild-projection":
        try:
            event_loop.run(run_rebuild(settings))
        except grpc.aio.AioRpcError as error:
            log.error("rebuild failed: attendance answered %s: %s", error.code(), error.details())
            return 1
    else:
        serve_metrics(settings, "churn")
        event_loop.run(serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
