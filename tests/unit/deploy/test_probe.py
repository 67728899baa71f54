"""frequenta_ops.probe, the health check of the compose services, against a real gRPC health
service and a real HTTP server on free local ports (no Frequenta process needed)."""

import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from frequenta_ops.probe import main, probe


@pytest.fixture
def health_server():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    server.stop(None)


@pytest.fixture
def http_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self.send_response(200 if self.path == "/healthz" else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_grpc_probe_follows_the_health_service(health_server) -> None:
    servicer, address = health_server
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    assert probe("grpc", address, 2.0) is None
    assert main(["grpc", address]) == 0
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    assert probe("grpc", address, 2.0) == f"{address} is NOT_SERVING"
    assert main(["grpc", address]) == 1


def test_http_probe_wants_a_2xx(http_server) -> None:
    assert probe("http", f"{http_server}/healthz", 2.0) is None
    assert probe("http", f"{http_server}/readyz", 2.0) == f"{http_server}/readyz answered 503"


def test_nothing_listening_is_not_ready() -> None:
    # Port 1 (tcpmux) serves nothing here: the connection is refused.
    assert "UNAVAILABLE" in probe("grpc", "127.0.0.1:1", 1.0)
    assert probe("http", "http://127.0.0.1:1/healthz", 1.0).startswith("http://127.0.0.1:1/")
