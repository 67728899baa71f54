"""Gateway processes: `python -m frequenta_gateway serve`."""

import argparse

import uvicorn

from frequenta_gateway.app import create_app
from frequenta_gateway.settings import GatewaySettings
from frequenta_kit import gc_tuning
from frequenta_kit.logs import configure_logging
from frequenta_kit.privacy import redact_access_log


def serve(settings: GatewaySettings) -> None:
    """Runs uvicorn until SIGTERM/SIGINT, then lets in-flight requests finish."""
    redact_access_log()  # member searches (?q=) may carry a name or an e-mail
    config = uvicorn.Config(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_config=None,  # keep the process's logging set-up
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        proxy_headers=False,
    )
    uvicorn.Server(config).run()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m frequenta_gateway")
    parser.add_argument("command", choices=["serve"])
    parser.parse_args()
    settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_json)
    gc_tuning.for_bulk_work()  # bulk uploads of 100,000 rows
    serve(settings)


if __name__ == "__main__":
    main()
