"""The real processes of the Procfile (attendance, its relay, workers, scheduler, churn, gateway)
on free ports, over databases of their own, started by the project's launcher: the session's
stack (conftest.py) and the stacks a test needs for itself (e.g. to restart PostgreSQL under
them) are made the same way, by frequenta_ops.stack with the settings every test relies on."""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from frequenta_ops import stack as stack_kit
from frequenta_ops.stack import ROOT, Stack, free_port

__all__ = ["ROOT", "SERVER_URL", "Stack", "free_port", "launch_stack"]

SERVER_URL = os.environ.get("FREQUENTA_E2E_SERVER_URL", stack_kit.SERVER_URL)
TEST_SETTINGS = {
    # JSON log lines (tests look for request ids in them).
    "log_json": "true",
    # Every test calls from 127.0.0.1, and many log in as the same admin: writes and logins are
    # not limited unless a test asks (rate limits are tested in tests/integration/gateway).
    "rate_limit_writes": "1000000/minute",
    "rate_limit_login_per_ip": "1000000/minute",
    "rate_limit_login_per_user": "1000000/minute",
    # Room for a slow machine in the cache's Redis calls.
    "cache_timeout_seconds": "0.5",
}


def report_logs(request: pytest.FixtureRequest, run_dir: Path) -> None:
    """After failures, show the end of each process's log (server-side tracebacks)."""
    if not request.session.testsfailed:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        for log in sorted((run_dir / "logs").glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-60:]
            reporter.write_line(f"--- {log} ---\n" + "\n".join(lines))


@contextmanager
def launch_stack(
    request: pytest.FixtureRequest,
    run_dir: Path,
    rabbitmq_url: str,
    *,
    server_url: str = SERVER_URL,
    replicas: Mapping[str, int] | None = None,
    **settings: str,
) -> Iterator[Stack]:
    """Every process of the Procfile, over fresh databases on ``server_url`` (dropped
    afterwards) and a broker namespace of their own; ``settings`` adds FREQUENTA_* variables
    (``relay_poll_interval_seconds="0.2"``) and wins over TEST_SETTINGS. The stack runs with the
    internal gRPC token check on (a token of its own) and Redis keys under a prefix of its own.
    ``replicas`` starts several copies of process kinds (``{"relay": 3, "gateway": 2}``)."""
    chosen = {
        f"FREQUENTA_{name.upper()}": value for name, value in {**TEST_SETTINGS, **settings}.items()
    }
    try:
        with stack_kit.launch_stack(
            run_dir,
            label="e2e",
            settings=chosen,
            server_url=server_url,
            rabbitmq_url=rabbitmq_url,
            replicas=replicas,
        ) as running:
            yield running
    finally:
        report_logs(request, run_dir)
