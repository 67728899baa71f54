"""The launcher behind `make up` and the e2e tests, on real child processes."""

import json
import os
import sys
from pathlib import Path

import pytest

from frequenta_ops.launcher import Launcher, LaunchError
from frequenta_ops.stack import free_port

SLEEPER = f'{sys.executable} -c "import time; time.sleep(600)"'


def _launcher(tmp_path: Path, procfile: str) -> Launcher:
    path = tmp_path / "Procfile"
    path.write_text(procfile)
    env = dict(os.environ, FREQUENTA_GATEWAY_PORT=str(free_port()))
    return Launcher(path, tmp_path / "run", env=env)


def test_up_starts_each_process_once_and_down_stops_them(tmp_path: Path) -> None:
    launcher = _launcher(tmp_path, f"first: {SLEEPER}\nsecond: {SLEEPER}\n")
    try:
        launcher.up(timeout=10)
        pids = {name: launcher.pid(name) for name in launcher.processes}
        assert all(pids.values()), pids

        again = Launcher(launcher.run_dir.parent / "Procfile", launcher.run_dir, env=launcher.env)
        again.up(timeout=10)
        assert {name: again.pid(name) for name in again.processes} == pids
    finally:
        stopped = launcher.down(grace=5)
    assert sorted(stopped) == ["first", "second"]
    assert all(launcher.pid(name) is None for name in launcher.processes)
    assert not list(launcher.run_dir.glob("*.pid"))


def test_a_process_that_dies_at_start_up_is_reported_with_its_log(tmp_path: Path) -> None:
    crash = f"{sys.executable} -c \"import sys; print('cannot bind'); sys.exit(3)\""
    launcher = _launcher(tmp_path, f"gateway: {crash}\n")
    with pytest.raises(LaunchError, match="gateway exited during start-up") as error:
        launcher.up(timeout=10)
    assert "cannot bind" in str(error.value)
    launcher.down(grace=1)


def test_down_with_nothing_running_stops_nothing(tmp_path: Path) -> None:
    launcher = _launcher(tmp_path, f"first: {SLEEPER}\n")
    assert launcher.down() == []


def test_one_process_can_be_stopped_and_started_alone(tmp_path: Path) -> None:
    launcher = _launcher(tmp_path, f"first: {SLEEPER}\nsecond: {SLEEPER}\n")
    try:
        launcher.up(timeout=10)
        first, second = launcher.pid("first"), launcher.pid("second")
        assert launcher.stop("first", grace=5)
        assert launcher.pid("first") is None
        assert launcher.pid("second") == second
        assert not launcher.stop("first", grace=5)  # not running: nothing to stop
        launcher.start("first", timeout=10)
        assert launcher.pid("first") not in (None, first)
        assert launcher.pid("second") == second
    finally:
        assert sorted(launcher.down(grace=5)) == ["first", "second"]


# A fake gateway: writes the ports it was given to its log, then answers /healthz on its port.
PORTS_SERVER = """
import http.server, os
port = int(os.environ["FREQUENTA_GATEWAY_PORT"])
print(port, os.environ["FREQUENTA_METRICS_PORTS"], flush=True)
class Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
http.server.HTTPServer(("127.0.0.1", port), Healthy).serve_forever()
"""


def test_replicas_run_with_names_logs_and_ports_of_their_own(tmp_path: Path) -> None:
    server = tmp_path / "gateway.py"
    server.write_text(PORTS_SERVER)
    path = tmp_path / "Procfile"
    path.write_text(f"gateway: {sys.executable} {server}\nrelay: {SLEEPER}\n")
    env = dict(os.environ, FREQUENTA_GATEWAY_PORT=str(free_port()))
    env["FREQUENTA_METRICS_PORTS"] = json.dumps({"relay": free_port()})
    launcher = Launcher(path, tmp_path / "run", env=env, replicas={"gateway": 2, "relay": 3})
    assert launcher.replicas_of("relay") == ["relay", "relay.2", "relay.3"]
    try:
        launcher.up(timeout=20)  # ready: both gateways answer /healthz, each on its own port
        gateways = [launcher.endpoint(name) for name in launcher.replicas_of("gateway")]
        ports = [gateway.port for gateway in gateways if gateway and gateway.is_ready()]
        assert len(set(ports)) == 2
        logs = [launcher.log_file(name).read_text() for name in launcher.replicas_of("gateway")]
        assert [int(log.split()[0]) for log in logs] == ports
        relays = [
            json.loads(launcher.env_of(name)["FREQUENTA_METRICS_PORTS"])["relay"]
            for name in launcher.replicas_of("relay")
        ]
        assert len(set(relays)) == 3
        assert len({launcher.pid(name) for name in launcher.processes}) == 5
    finally:
        # A launcher of the plain Procfile finds the copies by their pid files and stops them.
        plain = Launcher(path, launcher.run_dir, env=env)
        assert sorted(plain.down(grace=5)) == sorted(launcher.processes)
    assert not list(launcher.run_dir.glob("*.pid"))
