"""Small helpers shared by the end-to-end tests."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from aio_pika.abc import AbstractChannel

from frequenta_kit.broker import Topology, connect
from frequenta_ops.stack import Stack
from frequenta_sim.generator import simulate
from frequenta_sim.loader import GymLoader
from frequenta_sim.params import SimParams

T = TypeVar("T")


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(instant: datetime) -> str:
    """ISO-8601 with an offset, as clients send it."""
    return instant.isoformat()


def ago(**delta: float) -> str:
    return iso(now() - timedelta(**delta))


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def unique_email(prefix: str = "aluno") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}@example.com"


def assert_error(
    response: httpx.Response, status: int, codigo: str, campo: str | None = None
) -> dict:
    """The one error body, with the expected status, code and (if given) field."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"erro"}, body
    erro = body["erro"]
    assert set(erro) == {"codigo", "mensagem", "detalhes"}, erro
    assert erro["codigo"] == codigo, erro
    assert erro["mensagem"], erro
    if campo is not None:
        assert campo in [detail["campo"] for detail in erro["detalhes"]], erro
    for detail in erro["detalhes"]:
        assert set(detail) == {"campo", "mensagem"}, detail
    return erro


def on_broker(
    stack: Stack,
    work: Callable[[AbstractChannel, Topology], Awaitable[T]],
    **channel_options: bool,
) -> T:
    """``work(channel, topology)`` on a channel of the stack's broker, run to its end."""

    async def run() -> T:
        connection = await connect(stack.rabbitmq_url)
        async with connection:
            channel = await connection.channel(**channel_options)
            return await work(channel, Topology(namespace=stack.broker_namespace))

    return asyncio.run(run())


def poll(probe: Callable[[], Any], within: float, what: str, every: float = 0.3) -> Any:
    """``probe()``'s first truthy result, asked every ``every`` seconds for ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        if result := probe():
            return result
        assert time.monotonic() < deadline, f"{what}: not within {within:.0f}s"
        time.sleep(every)


def load_gym_with_model(
    api: httpx.Client, *, members: int = 150, months: int = 8
) -> dict[str, Any]:
    """A simulated gym (a random seed) loaded through the REST API, then a model trained on it
    through the retraining queue and promoted: risk answers from then on. The finished job."""
    until = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    seed = uuid.uuid4().int % 1_000_000_000
    gym = simulate(replace(SimParams(), members=members, months=months), seed=seed, until=until)
    loader = GymLoader(api, batch_size=5000, workers=4, job_timeout=120, progress=False)
    loaded = loader.load(gym)
    assert loaded.accepted == gym.visit_count, loaded.lines()
    queued = api.post("/modelo/retreino", json={"promover_se_melhor": True})
    assert queued.status_code == 202, queued.text
    location = queued.headers["location"]
    job = poll(
        lambda: (j := api.get(location).json())["estado"] in {"concluido", "falhou"} and j,
        120,
        "the retraining job",
    )
    assert job["estado"] == "concluido", job
    return job
