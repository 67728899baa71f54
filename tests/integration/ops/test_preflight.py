"""The pre-flight check behind `make up` and `make test`, against the real servers and against
closed ports."""

import socket

import pytest

from frequenta_ops import preflight

# The environment variable that moves each server, and the start command preflight must print.
SERVERS = {
    "PostgreSQL": (
        "FREQUENTA_ATTENDANCE_DATABASE_URL",
        "postgresql+asyncpg://postgres@127.0.0.1:{port}/frequenta_attendance",
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    ),
    "RabbitMQ": (
        "FREQUENTA_RABBITMQ_URL",
        "amqp://guest:guest@127.0.0.1:{port}/",
        "rabbitmq-server -detached",
    ),
    "Redis": (
        "FREQUENTA_REDIS_URL",
        "redis://127.0.0.1:{port}/0",
        "redis-server --daemonize yes",
    ),
}


def _closed_port() -> int:
    """A port nothing listens on: bound by us for a moment, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _report_of(stderr: str, name: str) -> str:
    """The lines preflight printed about ``name`` (its failure line and its start hint)."""
    blocks = [block for block in stderr.split("\n\n") if block.startswith(f"{name} ")]
    assert len(blocks) == 1, f"expected one report about {name} in:\n{stderr}"
    return blocks[0]


def test_with_the_default_environment_every_server_is_reachable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert preflight.main() == 0
    out, err = capsys.readouterr()
    assert "PostgreSQL, RabbitMQ and Redis are reachable." in out
    assert err == ""


def test_each_unreachable_server_is_named_with_its_address_and_start_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = {name: _closed_port() for name in SERVERS}
    for name, (variable, url, _) in SERVERS.items():
        monkeypatch.setenv(variable, url.format(port=ports[name]))

    assert preflight.main() == 1

    out, err = capsys.readouterr()
    assert "reachable." not in out
    for name, (_, _, start) in SERVERS.items():
        report = _report_of(err, name)
        assert report.startswith(f"{name} is not reachable at 127.0.0.1:{ports[name]} ("), report
        assert f"Start it with: {start}" in report, report
    assert err.rstrip().endswith(
        "Frequenta needs PostgreSQL, RabbitMQ and Redis; see the Requirements section of README.md."
    )


def test_only_the_unreachable_server_is_reported(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _closed_port()
    monkeypatch.setenv("FREQUENTA_REDIS_URL", f"redis://127.0.0.1:{port}/0")

    assert preflight.main() == 1

    err = capsys.readouterr().err
    assert _report_of(err, "Redis").startswith(f"Redis is not reachable at 127.0.0.1:{port} (")
    assert "PostgreSQL is not reachable" not in err
    assert "RabbitMQ is not reachable" not in err
