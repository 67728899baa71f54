"""Churn service processes: `python -m frequenta_churn serve`."""

import argparse
import asyncio

from frequenta_churn.bootstrap import build_server
from frequenta_churn.settings import ChurnSettings
from frequenta_kit.database import create_engine
from frequenta_kit.logs import configure_logging
from frequenta_kit.publisher import WorkPublisher


async def serve(settings: ChurnSettings) -> None:
    engine = create_engine(settings.churn_database_url)
    publisher = WorkPublisher(settings.rabbitmq_url, settings.topology)
    try:
        server = build_server(settings, engine, publisher)
        await server.serve_until_signalled(grace=settings.shutdown_grace_seconds)
    finally:
        await publisher.close()
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m frequenta_churn")
    parser.add_argument("command", choices=["serve"])
    parser.parse_args()
    settings = ChurnSettings()
    configure_logging(settings.log_level, settings.log_json)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
