"""What the cache stores and for how long: the cached routes, their TTLs and fill-lock timing
(settings), the canonical form of a query in a key, and an answer's stored bytes."""

from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel

from frequenta_gateway.settings import GatewaySettings

# Names of the cached routes (the `route` label, the entry keys' second part).
FREQUENCIA = "frequencia"
RISCO = "risco-churn"
LISTA = "alunos-risco"


@dataclass(frozen=True)
class CachePolicy:
    ttl_seconds: dict[str, int]  # by route: a backstop, correctness comes from the versions
    lock_milliseconds: int = 2000  # how long one process may hold a key's fill lock
    lock_wait_seconds: float = 0.5  # how long the others poll for its result
    poll_seconds: float = 0.02

    @classmethod
    def of(cls, settings: GatewaySettings) -> "CachePolicy":
        return cls(
            ttl_seconds={
                FREQUENCIA: settings.cache_frequencia_ttl_seconds,
                RISCO: settings.cache_risco_ttl_seconds,
                LISTA: settings.cache_lista_ttl_seconds,
            },
            lock_milliseconds=settings.cache_lock_milliseconds,
            lock_wait_seconds=settings.cache_lock_wait_seconds,
        )


def canonical(params: dict[str, Any]) -> str:
    """Query parameters in a fixed order, unset ones left out, values escaped."""
    pairs = [
        (name, value.value if isinstance(value, Enum) else str(value))
        for name, value in sorted(params.items())
        if value is not None
    ]
    return urlencode(pairs)


def encode(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()
