"""A RabbitMQ virtual host of a test run's own, made and removed with rabbitmqctl; shared by the
integration and end-to-end fixtures (tests/ is on the path through its conftest.py)."""

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from yarl import URL


def rabbitmqctl(*args: str) -> bool:
    """Run ``rabbitmqctl args``; False when it is missing or fails (e.g. not run as root)."""
    if shutil.which("rabbitmqctl") is None:
        return False
    try:
        done = subprocess.run(
            ["rabbitmqctl", "-q", *args], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@contextmanager
def own_vhost(base_url: str, name: str) -> Iterator[str | None]:
    """The AMQP URL of a new virtual host ``name`` on ``base_url``'s broker, open to its user;
    None if rabbitmqctl could not make it. Deleted afterwards with everything in it."""
    base = URL(base_url)
    made = rabbitmqctl("add_vhost", name) and rabbitmqctl(
        "set_permissions", "-p", name, base.user or "guest", ".*", ".*", ".*"
    )
    try:
        yield str(base.with_path(f"/{name}")) if made else None
    finally:
        rabbitmqctl("delete_vhost", name)
