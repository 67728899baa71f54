"""Gateway processes: `python -m frequenta_gateway serve`, and the users of the REST API:
`python -m frequenta_gateway users create --login ... --papel ... [--aluno-id N]`."""

import argparse
import sys

import uvicorn
from pydantic import ValidationError
from starlette.types import ASGIApp

from frequenta_gateway.app import create_app
from frequenta_gateway.auth import cli
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


def load_settings() -> GatewaySettings:
    """The settings, or exit 2 saying what is wrong (e.g. the dev JWT secret in production)."""
    try:
        return GatewaySettings()
    except ValidationError as error:
        problems = "\n".join(
            f"  - {problem['msg'].removeprefix('Value error, ')}" for problem in error.errors()
        )
        print(f"the gateway cannot start with these settings:\n{problems}", file=sys.stderr)
        raise SystemExit(2) from None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m frequenta_gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the REST API")
    cli.add_parser(commands)
    args = parser.parse_args()
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json)
    if args.command == "users":
        raise SystemExit(cli.run(args, settings))
    gc_tuning.for_bulk_work()  # bulk uploads of 100,000 rows
    serve(settings)


if __name__ == "__main__":
    main()
