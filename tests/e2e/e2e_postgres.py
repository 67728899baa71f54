"""A PostgreSQL server a test may stop and start: by default a throwaway one of its own (initdb
into a temporary directory, the machine's PostgreSQL binaries, a free port), so no other test run
on the machine meets the outage; or, with ``FREQUENTA_DISRUPTIVE_PG=cluster``, the machine's
cluster itself (``pg_ctlcluster --skip-systemctl-redirect <version> main stop|start``), which
every run using it will notice."""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_stack import SERVER_URL, free_port
from sqlalchemy import make_url

MODE = os.environ.get("FREQUENTA_DISRUPTIVE_PG", "private")


@dataclass(frozen=True)
class PostgresServer:
    url: str  # postgresql+asyncpg://user@host:port/postgres
    _control: tuple[str, ...]  # argv before the action ("stop" or "start")
    _start_options: tuple[str, ...] = ()

    def stop(self) -> None:
        self._run("stop")

    def start(self) -> None:
        self._run("start", *self._start_options)

    def ready(self) -> bool:
        url = make_url(self.url)
        command = ["pg_isready", "-q", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
        if url.username:
            command += ["-U", url.username]
        return subprocess.run(command, timeout=10).returncode == 0

    def _run(self, action: str, *options: str) -> None:
        done = subprocess.run(
            [*self._control, action, *options], capture_output=True, text=True, timeout=120
        )
        # pg_ctlcluster answers 2 to "start" when the server is already up.
        if done.returncode != 0 and not (action == "start" and done.returncode == 2):
            raise AssertionError(f"PostgreSQL {action} failed: {done.stdout}{done.stderr}")


def _binaries() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(Path(candidate) / "initdb", os.X_OK):
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


@contextlib.contextmanager
def private_server() -> Iterator[PostgresServer]:
    """A new PostgreSQL server on a free port, removed with its files afterwards. Run as the
    ``postgres`` user when the tests run as root (initdb refuses root)."""
    bindir = _binaries()
    if bindir is None:
        pytest.skip("needs the PostgreSQL server binaries (initdb, pg_ctl)")
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="frequenta-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    try:
        subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        settings = {
            "port": str(port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{root}'",
            "max_connections": "200",
            "fsync": "off",
        }
        with (data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        server = PostgresServer(
            f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres",
            (*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60"),
            ("-l", str(root / "server.log")),
        )
        server.start()
        try:
            yield server
        finally:
            subprocess.run(
                [*server._control, "stop", "-m", "immediate"], capture_output=True, timeout=60
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def machine_cluster() -> Iterator[PostgresServer]:
    """The server every test uses (SERVICES.md), started again by the test after it stopped it."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if shutil.which("pg_ctlcluster") is None or not versions:
        pytest.skip("needs pg_ctlcluster to stop the machine's PostgreSQL")
    server = PostgresServer(
        SERVER_URL, ("pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main")
    )
    try:
        yield server
    finally:
        server.start()  # whatever happened, the machine's server is left running


def disruptable_server() -> contextlib.AbstractContextManager[PostgresServer]:
    return machine_cluster() if MODE == "cluster" else private_server()
