"""The Prometheus endpoint of every process but the gateway (which serves ``/metrics`` on its own
HTTP port): ``prometheus_client``'s HTTP server on a port of the process kind's own, so the
processes of one machine never clash.

| process kind | default port |
| --- | --- |
| attendance | 9101 |
| churn | 9102 |
| churn-projection | 9103 |
| retrain-worker | 9104 |
| relay | 9105 |
| ingest-worker | 9106 |
| reports-worker | 9107 |
| scheduler | 9108 |

``FREQUENTA_METRICS_PORTS`` overrides them (JSON, ``{"relay": 9205, "ingest-worker": 0}``; 0 = a
free port chosen by the system and logged); ``FREQUENTA_METRICS_ENABLED=false`` serves none. A
second replica of a kind on the same machine finds the kind's port taken: it logs that and takes
a free port instead (give each replica its own port in production).
"""

import logging
from typing import Protocol

from prometheus_client import Info, start_http_server

log = logging.getLogger(__name__)

DEFAULT_METRICS_PORTS: dict[str, int] = {
    "attendance": 9101,
    "churn": 9102,
    "churn-projection": 9103,
    "retrain-worker": 9104,
    "relay": 9105,
    "ingest-worker": 9106,
    "reports-worker": 9107,
    "scheduler": 9108,
}

PROCESS = Info("frequenta_process", "The kind of Frequenta process behind these series.")


class MetricsSettings(Protocol):
    metrics_enabled: bool
    metrics_host: str
    metrics_ports: dict[str, int]


def metrics_port(settings: MetricsSettings, kind: str) -> int:
    """The port process kind ``kind`` serves its metrics on (0: any free one)."""
    return settings.metrics_ports.get(kind, DEFAULT_METRICS_PORTS[kind])


def serve_metrics(settings: MetricsSettings, kind: str) -> int | None:
    """Starts the metrics HTTP server in a daemon thread; the port it listens on (None when
    metrics are disabled)."""
    PROCESS.info({"kind": kind})
    if not settings.metrics_enabled:
        log.info("metrics disabled (FREQUENTA_METRICS_ENABLED=false)")
        return None
    port = metrics_port(settings, kind)
    try:
        server, _ = start_http_server(port, addr=settings.metrics_host)
    except OSError as error:
        if port == 0:
            raise
        log.warning(
            "metrics port %d of %s is taken (%s), another replica on this machine? Serving them "
            "on a free port instead; set FREQUENTA_METRICS_PORTS to choose one",
            port,
            kind,
            error.strerror,
        )
        server, _ = start_http_server(0, addr=settings.metrics_host)
    bound = int(server.server_port)
    log.info("metrics of %s at http://%s:%d/metrics", kind, settings.metrics_host, bound)
    return bound
