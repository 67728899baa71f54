"""Starts and stops the processes of the Procfile in the background, one log and one pid file
each, and waits until every one is ready. `make up`, `make down` and the end-to-end tests use it.
Several copies of a kind (``replicas={"relay": 3}``, ``--replicas relay=3``) get names, logs and
ports of their own (frequenta_ops.replicas).

    python -m frequenta_ops.launcher up|down|status [--procfile Procfile] [--run-dir .run]
        [--replicas relay=3,ingest-worker=2]
"""

import argparse
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from honcho.environ import parse_procfile

from frequenta_ops.readiness import Endpoint, endpoint_for
from frequenta_ops.replicas import expand, kind_of, parse_replicas, replica_settings


class LaunchError(RuntimeError):
    """A process did not start or did not become ready."""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Launcher:
    def __init__(
        self,
        procfile: Path,
        run_dir: Path,
        env: Mapping[str, str] | None = None,
        replicas: Mapping[str, int] | None = None,
    ) -> None:
        listed = dict(parse_procfile(procfile.read_text()).processes)
        # Process name (``relay``, ``relay.2``...) -> command.
        self.processes: dict[str, str] = expand(listed, replicas or {})
        self.run_dir = run_dir
        self.log_dir = run_dir / "logs"
        self.env = dict(os.environ if env is None else env)
        # `python` in the Procfile is the interpreter running the launcher (the project's venv).
        bin_dir = str(Path(sys.executable).parent)
        self.env["PATH"] = os.pathsep.join([bin_dir, self.env.get("PATH", "")])
        # What the second and later copies of a kind change in the environment: their ports.
        self._overrides = {
            name: replica_settings(kind_of(name), self.env)
            for name in self.processes
            if name != kind_of(name)
        }
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def env_of(self, name: str) -> dict[str, str]:
        """The environment process ``name`` runs with."""
        return {**self.env, **self._overrides.get(name, {})}

    def replicas_of(self, kind: str) -> list[str]:
        """The names of the copies of ``kind``, the first one first."""
        return [name for name in self.processes if kind_of(name) == kind]

    # -- state -------------------------------------------------------------------------------
    def _pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def pid(self, name: str) -> int | None:
        try:
            pid = int(self._pid_file(name).read_text())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def endpoint(self, name: str) -> Endpoint | None:
        return endpoint_for(kind_of(name), self.env_of(name))

    def known(self) -> list[str]:
        """Every process name of this launcher, and copies left by another one with more
        replicas in the same run directory (their pid files), so `down` stops them too."""
        left = sorted(
            path.stem
            for path in self.run_dir.glob("*.*.pid")
            if kind_of(path.stem) in self.processes and path.stem not in self.processes
        )
        return [*self.processes, *left]

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    # -- start -------------------------------------------------------------------------------
    def _start(self, name: str, command: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        argv = shlex.split(command)
        if argv[0] == "python":
            argv[0] = sys.executable
        with self.log_file(name).open("ab") as log:
            child = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env_of(name),
                start_new_session=True,
            )
        self._children[name] = child
        self._pid_file(name).write_text(str(child.pid))

    def up(self, timeout: float = 60.0) -> None:
        """Start every process not already running, then wait until all are ready."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for name, command in self.processes.items():
            if self.pid(name) is None:
                self._start(name, command)
        self._wait_ready(timeout)

    def start(self, name: str, timeout: float = 60.0) -> None:
        """Start process ``name`` (if it is not running) and wait until it is ready."""
        if self.pid(name) is None:
            self._start(name, self.processes[name])
        self._wait_ready(timeout, [name])

    def _wait_ready(self, timeout: float, names: list[str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        pending = set(self.processes if names is None else names)
        while pending:
            for name in sorted(pending):
                if self.pid(name) is None:
                    raise LaunchError(f"{name} exited during start-up:\n{self.tail(name)}")
                endpoint = self.endpoint(name)
                if endpoint is None or endpoint.is_ready():
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise LaunchError(
                    f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}\n"
                    + "\n".join(self.tail(name) for name in sorted(pending))
                )
            if pending:
                time.sleep(0.2)

    def tail(self, name: str, lines: int = 30) -> str:
        try:
            text = self.log_file(name).read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            text = []
        return f"--- {self.log_file(name)} ---\n" + "\n".join(text)

    # -- stop --------------------------------------------------------------------------------
    def stop(self, name: str, grace: float = 15.0) -> bool:
        """Stop process ``name`` alone (SIGTERM, SIGKILL after ``grace``); whether it ran."""
        return bool(self.down(grace, [name]))

    def down(self, grace: float = 15.0, names: list[str] | None = None) -> list[str]:
        """SIGTERM every process this run directory knows of (or ``names``), SIGKILL after
        ``grace``."""
        names = self.known() if names is None else list(names)
        stopped = []
        for name in names:
            pid = self.pid(name)
            if pid is not None:
                _signal_group(pid, signal.SIGTERM)
                stopped.append(name)
        deadline = time.monotonic() + grace
        for name in stopped:
            pid = int(self._pid_file(name).read_text())
            while _alive(pid) and time.monotonic() < deadline:
                self._reap(name)
                time.sleep(0.1)
            if _alive(pid):
                _signal_group(pid, signal.SIGKILL)
            self._reap(name, block=True)
        for name in names:
            self._pid_file(name).unlink(missing_ok=True)
        return stopped

    def _reap(self, name: str, block: bool = False) -> None:
        child = self._children.get(name)
        if child is not None:
            child.wait(timeout=10) if block else child.poll()

    def exit_code(self, name: str) -> int | None:
        """Exit status of a process started by this launcher object (None while running)."""
        child = self._children.get(name)
        return None if child is None else child.poll()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _print_urls(launcher: Launcher) -> None:
    for name in launcher.processes:
        endpoint = launcher.endpoint(name)
        where = endpoint.url if endpoint else "(no port)"
        print(f"  {name:<12} {where:<28} log: {launcher.log_file(name)}")
    gateway = launcher.endpoint("gateway")
    if gateway:
        print(f"\nREST API: {gateway.url}   OpenAPI docs: {gateway.url}/docs")


def _replicas(text: str) -> dict[str, int]:
    try:
        return parse_replicas(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frequenta_ops.launcher")
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--procfile", type=Path, default=Path("Procfile"))
    parser.add_argument("--run-dir", type=Path, default=Path(".run"))
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument(
        "--replicas", type=_replicas, default={}, help="copies by kind: relay=3,gateway=2"
    )
    args = parser.parse_args(argv)
    try:
        launcher = Launcher(args.procfile, args.run_dir, replicas=args.replicas)
    except ValueError as error:
        parser.error(str(error))
    if args.command == "up":
        try:
            launcher.up(timeout=args.timeout)
        except LaunchError as error:
            print(f"make up failed: {error}", file=sys.stderr)
            launcher.down()
            return 1
        print("Frequenta is up:")
        _print_urls(launcher)
    elif args.command == "down":
        stopped = launcher.down()
        print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    else:
        for name in launcher.known():
            pid = launcher.pid(name)
            print(f"  {name:<12} {'running, pid ' + str(pid) if pid else 'stopped'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
