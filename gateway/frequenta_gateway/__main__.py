"""Gateway processes: `python -m frequenta_gateway serve`."""

import argparse

import uvicorn
from starlette.types import ASGIApp

from frequenta_gateway.app import create_app
from frequenta_gateway.settings import GatewaySettings
from frequenta_kit import gc_tuning
from frequenta_kit.logs import configure_logging
from frequenta_kit.privacy import redact_access_log


def server_config(app: ASGIApp, settings: GatewaySettings) -> uvicorn.Config:
    """The uvicorn settings of the gateway (bench/http_ceilings.py serves its app with them)."""
    return uvicorn.Config(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_config=None,  # keep the process's logging set-up
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        proxy_headers=False,
    )


def serve(settings: GatewaySettings) -> None:
    """Runs uvicorn until SIGTERM/SIGINT, then lets in-flight requests finish."""
    redact_access_log()  # member searches (?q=) may carry a name or an e-mail
    uvicorn.Server(server_config(create_app(settings), settings)).run()


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
