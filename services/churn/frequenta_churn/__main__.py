"""Churn service processes: `python -m frequenta_churn serve`."""

import argparse
import asyncio

from frequenta_churn.grpc_api import register
from frequenta_churn.settings import ChurnSettings
from frequenta_kit.grpc_server import GrpcServer
from frequenta_kit.logs import configure_logging


async def serve(settings: ChurnSettings) -> None:
    server = GrpcServer(register, host=settings.churn_grpc_host, port=settings.churn_grpc_port)
    await server.serve_until_signalled(grace=settings.shutdown_grace_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m frequenta_churn")
    parser.add_argument("command", choices=["serve"])
    parser.parse_args()
    settings = ChurnSettings()
    configure_logging(settings.log_level, settings.log_json)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
