"""The machine's HTTP ceilings for ``bench/http_load.py``: a FastAPI app with three endpoints that
do the least a gateway route can do, served exactly as the gateway is (its uvicorn settings,
one worker, its logging and garbage-collector set-up, its settings class for the port and the
addresses):

- ``GET /const``: returns a constant (FastAPI + uvicorn alone);
- ``GET /grpc``: one unary gRPC call to attendance (the standard health ``Check``), nothing else;
- ``GET /redis``: one ``GET`` on Redis through redis.asyncio, nothing else.

    FREQUENTA_GATEWAY_PORT=8123 python bench/http_ceilings.py
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import redis.asyncio as redis
import uvicorn
from fastapi import FastAPI, Request
from grpc_health.v1 import health_pb2, health_pb2_grpc

from frequenta_gateway.__main__ import server_config
from frequenta_gateway.settings import GatewaySettings
from frequenta_kit import gc_tuning
from frequenta_kit.logs import configure_logging

CONSTANT = {"ok": True}
HEALTH_REQUEST = health_pb2.HealthCheckRequest(service="")


def redis_key(settings: GatewaySettings) -> str:
    return f"{settings.redis_key_prefix}:bench:ceiling"


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        channel = grpc.aio.insecure_channel(settings.attendance_address)
        client = redis.Redis.from_url(settings.redis_url)
        await client.set(redis_key(settings), b"42", ex=3600)
        app.state.health = health_pb2_grpc.HealthStub(channel)
        app.state.redis = client
        try:
            yield
        finally:
            await client.delete(redis_key(settings))
            await client.aclose()
            await channel.close()

    app = FastAPI(title="Frequenta HTTP ceilings", lifespan=lifespan)
    key = redis_key(settings)
    deadline = settings.grpc_deadline_seconds

    @app.get("/const")
    async def constant() -> dict[str, bool]:
        return CONSTANT

    @app.get("/grpc")
    async def one_grpc_call(request: Request) -> dict[str, int]:
        reply = await request.app.state.health.Check(HEALTH_REQUEST, timeout=deadline)
        return {"status": reply.status}

    @app.get("/redis")
    async def one_redis_get(request: Request) -> dict[str, str | None]:
        value = await request.app.state.redis.get(key)
        return {"valor": value.decode() if value is not None else None}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_json)
    gc_tuning.for_bulk_work()
    uvicorn.Server(server_config(create_app(settings), settings)).run()


if __name__ == "__main__":
    main()
