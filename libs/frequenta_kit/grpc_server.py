"""A grpc.aio server with the standard health service, reflection, the domain-error interceptor
and graceful shutdown on SIGTERM/SIGINT (stop taking calls, finish in-flight ones, exit 0)."""

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from frequenta_kit.grpc_auth import server_interceptors
from frequenta_kit.grpc_errors import DomainErrorInterceptor
from frequenta_kit.grpc_observability import ObservabilityInterceptor

log = logging.getLogger(__name__)

# Clients ping idle connections every 30 s (grpc_channels.py); accept pings that often.
KEEPALIVE_OPTIONS = [
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
]

# Adds servicers to the server; returns the full names of the services it added.
Registrar = Callable[[grpc.aio.Server], Sequence[str]]


class GrpcServer:
    """Owns one grpc.aio server: start on a port (0 = any free one), serve, stop gracefully."""

    def __init__(
        self,
        register: Registrar,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_message_bytes: int | None = None,
        internal_token: str | None = None,
    ) -> None:
        """``max_message_bytes``: the largest request and response taken (gRPC's default, 4 MiB,
        when None). ``internal_token``: required of every caller but the health service
        (frequenta_kit.grpc_auth; None: no check)."""
        options = list(KEEPALIVE_OPTIONS)
        if max_message_bytes is not None:
            options += [
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.max_send_message_length", max_message_bytes),
            ]
        # Request ids and metrics first: they see every status, credentials refused included.
        interceptors = [
            ObservabilityInterceptor(),
            *server_interceptors(internal_token),
            DomainErrorInterceptor(),
        ]
        self._server = grpc.aio.server(interceptors=interceptors, options=options)
        self._health = health.aio.HealthServicer()
        self._service_names = list(register(self._server))
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        reflection.enable_server_reflection(
            [*self._service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server
        )
        self.port = self._server.add_insecure_port(f"{host}:{port}")
        self.address = f"{host}:{self.port}"

    async def start(self) -> None:
        await self._server.start()
        for name in ["", *self._service_names]:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("gRPC server listening on %s", self.address)

    async def stop(self, grace: float = 10.0) -> None:
        """Report NOT_SERVING, refuse new calls, give in-flight calls ``grace`` seconds."""
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace)
        log.info("gRPC server on %s stopped", self.address)

    async def serve_until_signalled(self, grace: float = 10.0) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        await stop.wait()
        log.info("shutdown signal received; draining for up to %.0fs", grace)
        await self.stop(grace)
