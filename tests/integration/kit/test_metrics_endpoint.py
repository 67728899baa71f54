"""The metrics endpoint of a process kind: its port, a free one, a taken one, none."""

import socket
from dataclasses import dataclass, field

import httpx

from frequenta_kit.metrics import DEFAULT_METRICS_PORTS, metrics_port, serve_metrics


@dataclass
class Settings:
    metrics_enabled: bool = True
    metrics_host: str = "127.0.0.1"
    metrics_ports: dict[str, int] = field(default_factory=dict)


def _scrape(port: int) -> str:
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200
    return response.text


def test_every_kind_has_its_own_default_port():
    ports = list(DEFAULT_METRICS_PORTS.values())
    assert len(set(ports)) == len(ports)
    assert metrics_port(Settings(), "relay") == DEFAULT_METRICS_PORTS["relay"]
    assert metrics_port(Settings(metrics_ports={"relay": 0}), "relay") == 0


def test_port_zero_serves_on_a_free_port_and_says_which():
    port = serve_metrics(Settings(metrics_ports={"scheduler": 0}), "scheduler")
    assert port
    assert 'frequenta_process_info{kind="scheduler"} 1.0' in _scrape(port)


def test_a_taken_port_falls_back_to_a_free_one(caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        port = serve_metrics(Settings(metrics_ports={"relay": busy}), "relay")
        assert port and port != busy
        assert "frequenta_process_info" in _scrape(port)
    assert "is taken" in caplog.text


def test_metrics_can_be_disabled():
    assert serve_metrics(Settings(metrics_enabled=False), "relay") is None
