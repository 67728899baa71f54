"""Several copies of a process kind of the Procfile on one machine (``replicas={"relay": 3}``),
for the end-to-end tests and benchmarks of scale-out and for `make up` on a big machine.

The first copy keeps the kind's name (``relay``); the others are ``relay.2``, ``relay.3``, each
with a log and a pid file of its own. Every copy runs the same command with the same settings
but its own ports: its own Prometheus metrics port (``FREQUENTA_METRICS_PORTS``) and, for a
process that serves one, its own served port (a second gateway listens beside the first; a
second gRPC server would need a load balancer in front, since clients call the address in
``FREQUENTA_ATTENDANCE_ADDRESS`` / ``FREQUENTA_CHURN_ADDRESS``).
"""

import json
import socket
from collections.abc import Mapping

from frequenta_kit.metrics import DEFAULT_METRICS_PORTS
from frequenta_ops.readiness import port_variable


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def replica_name(kind: str, index: int) -> str:
    """The process name of copy ``index`` (from 1) of ``kind``."""
    return kind if index == 1 else f"{kind}.{index}"


def kind_of(name: str) -> str:
    """The Procfile entry a process name is a copy of."""
    return name.split(".", 1)[0]


def parse_replicas(text: str) -> dict[str, int]:
    """``relay=3,ingest-worker=2`` (the launcher's ``--replicas``) as a mapping."""
    counts: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, _, count = item.partition("=")
        if not count.strip().isdigit():
            raise ValueError(f"{item!r}: write KIND=COUNT, e.g. relay=3")
        counts[kind.strip()] = int(count)
    return counts


def expand(processes: Mapping[str, str], replicas: Mapping[str, int]) -> dict[str, str]:
    """Process name -> command, with ``replicas[kind]`` copies of each kind (1 if not said)."""
    unknown = sorted(set(replicas) - set(processes))
    if unknown:
        raise ValueError(
            f"no process {', '.join(unknown)} in the Procfile (it has {', '.join(processes)})"
        )
    low = sorted(kind for kind, count in replicas.items() if count < 1)
    if low:
        raise ValueError(f"replicas of {', '.join(low)}: at least 1")
    return {
        replica_name(kind, index): command
        for kind, command in processes.items()
        for index in range(1, replicas.get(kind, 1) + 1)
    }


def replica_settings(kind: str, env: Mapping[str, str]) -> dict[str, str]:
    """The variables a second or later copy of ``kind`` overrides in ``env``: free ports of its
    own for its metrics and for what it serves."""
    settings: dict[str, str] = {}
    if kind in DEFAULT_METRICS_PORTS:
        ports = json.loads(env.get("FREQUENTA_METRICS_PORTS") or "{}")
        settings["FREQUENTA_METRICS_PORTS"] = json.dumps({**ports, kind: free_port()})
    served = port_variable(kind)
    if served is not None:
        settings[served] = str(free_port())
    return settings
