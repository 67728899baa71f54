"""How to tell that each process of the Procfile is serving, and where to reach it.

The ports come from the same settings classes the processes use (the environment first, then
the class's default), so the launcher and the processes never disagree.
"""

import socket
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

import grpc
from pydantic_settings import BaseSettings

from frequenta_attendance.settings import AttendanceSettings
from frequenta_churn.settings import ChurnSettings
from frequenta_gateway.settings import GatewaySettings
from frequenta_ops.probe import grpc_status


@dataclass(frozen=True)
class Endpoint:
    """A process's public address and how to ask it whether it is ready."""

    kind: str  # "grpc" or "http"
    port: int

    @property
    def url(self) -> str:
        scheme = "grpc" if self.kind == "grpc" else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def is_ready(self, timeout: float = 1.0) -> bool:
        try:
            if self.kind == "grpc":
                return _grpc_serving(f"127.0.0.1:{self.port}", timeout)
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=timeout) as response:
                return response.status == 200
        except (OSError, grpc.RpcError):
            return False


# process name -> (kind, settings class, field holding the port)
_ENDPOINTS: dict[str, tuple[str, type[BaseSettings], str]] = {
    "attendance": ("grpc", AttendanceSettings, "attendance_grpc_port"),
    "churn": ("grpc", ChurnSettings, "churn_grpc_port"),
    "gateway": ("http", GatewaySettings, "gateway_port"),
}


def port_variable(name: str) -> str | None:
    """The environment variable holding the port process ``name`` serves on; None if none."""
    if name not in _ENDPOINTS:
        return None
    _, settings_class, field = _ENDPOINTS[name]
    prefix = settings_class.model_config.get("env_prefix", "")
    return f"{prefix}{field}".upper()


def endpoint_for(name: str, env: Mapping[str, str]) -> Endpoint | None:
    """The endpoint of process ``name`` under environment ``env``; None if it serves none."""
    variable = port_variable(name)
    if variable is None:
        return None
    kind, settings_class, field = _ENDPOINTS[name]
    raw = env.get(variable)
    port = int(raw) if raw else int(settings_class.model_fields[field].default)
    return Endpoint(kind, port)


def _grpc_serving(address: str, timeout: float) -> bool:
    return grpc_status(address, timeout) == "SERVING"


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
