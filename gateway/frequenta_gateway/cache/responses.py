"""Cache-aside for the gateway's hot reads (docs/cache.md): the answer's JSON is stored in Redis
under a key that carries the versions of what it was computed from, read BEFORE the services
are asked; a service bumps a version right after it commits a change, which makes every answer
computed before unreachable.

Per request: one round trip (versions and entry, in one script); on a hit the stored bytes are
the answer. On a miss, callers of this process that read the same versions share one
computation (single flight), and across processes a short lock (SET NX PX) lets one of them
compute while the others poll briefly for its result, then compute themselves.

Redis down or slow: each call gives up after FREQUENTA_CACHE_TIMEOUT_SECONDS, the breaker then
keeps the cache out of the way for FREQUENTA_CACHE_BREAKER_SECONDS, and the answer is computed
uncached: never an error because of the cache. When Redis answers again the gateway first bumps
the generation: answers stored before the failure (or restored by a restarted Redis) are
unreachable, whatever bumps were lost meanwhile.
"""

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Response
from prometheus_client import Counter
from pydantic import BaseModel

from frequenta_gateway.cache.breaker import Breaker
from frequenta_gateway.cache.flight import SingleFlight
from frequenta_gateway.cache.policy import (
    FREQUENCIA,
    LISTA,
    RISCO,
    CachePolicy,
    LocalDate,
    canonical,
    encode,
)
from frequenta_gateway.cache.store import CacheStore, Lookup
from frequenta_gateway.settings import GatewaySettings
from frequenta_kit.cache_versions import REDIS_ERRORS, VersionKeys, redis_client

log = logging.getLogger(__name__)

CACHE_REQUESTS = Counter(
    "frequenta_cache_requests_total",
    "Answers of the cached routes by route and result: hit, miss (computed and stored), "
    "error (Redis failed: computed uncached), bypass (cache off, breaker open, or a change "
    "of the member being committed: computed uncached).",
    ["route", "result"],
)
Answer = Callable[[], Awaitable[BaseModel]]


class ResponseCache:
    def __init__(
        self, store: CacheStore | None, tz: ZoneInfo, policy: CachePolicy, breaker: Breaker
    ) -> None:
        self.store = store  # None: the cache is off, every answer is computed
        self.breaker = breaker
        self._today = LocalDate(tz)
        self._policy = policy
        self._flights: SingleFlight[bytes] = SingleFlight()
        self._generation_owed = False

    @classmethod
    def open(cls, settings: GatewaySettings) -> "ResponseCache":
        store = None
        if settings.cache_enabled:
            client = redis_client(settings.redis_url, settings.cache_timeout_seconds)
            store = CacheStore(client, settings.redis_key_prefix)
        breaker = Breaker(settings.cache_breaker_seconds)
        return cls(store, settings.tz, CachePolicy.of(settings), breaker)

    @classmethod
    def off(cls, settings: GatewaySettings) -> "ResponseCache":
        """A cache that stores nothing: every answer computed."""
        return cls(None, settings.tz, CachePolicy.of(settings), Breaker(1.0))

    async def close(self) -> None:
        if self.store is not None:
            await self.store.client.aclose()

    # -- the cached routes -------------------------------------------------------------------

    async def attendance(self, member_id: int, answer: Answer, **params: Any) -> Response:
        """GET /aluno/{id}/frequencia: the member's version."""
        keys, marks = self._member_keys(FREQUENCIA, member_id)
        return await self._answer(FREQUENCIA, keys, str(member_id), params, answer, marks)

    async def churn_risk(self, member_id: int, answer: Answer) -> Response:
        """GET /aluno/{id}/risco-churn: the member's versions (attendance's and churn's
        projection's) and the serving model's."""
        keys, marks = self._member_keys(RISCO, member_id)
        return await self._answer(RISCO, keys, str(member_id), {}, answer, marks)

    async def at_risk(self, answer: Answer, **params: Any) -> Response:
        """GET /alunos/risco: the list's version and the serving model's."""
        keys = [self._keys.risk_list, self._keys.model] if self.store else []
        return await self._answer(LISTA, keys, "todos", params, answer)

    # -- cache-aside ---------------------------------------------------------------------------

    async def look(self, route: str, member_id: int, query: str) -> "Looked | None":
        """Look up a member's route (FREQUENCIA or RISCO) for this query (canonical) before
        routing (:mod:`frequenta_gateway.cache.hits`); a hit is counted here. None when the
        route must decide alone (the cache off, the breaker open, a generation owed). A failure
        is kept in the result, not reported: the route, handed the result through
        :data:`LOOKED`, reports it and answers as after its own lookup, without another."""
        store = self.store
        if store is None or self._generation_owed or self.breaker.is_open:
            return None
        keys, marks = self._member_keys(route, member_id)
        arguments = (keys, *self._entry(route, str(member_id), query), marks)
        try:
            looked = Looked(arguments, await store.lookup(*arguments))
        except REDIS_ERRORS as error:
            return Looked(arguments, None, error)
        if looked.hit is not None:
            _counter(route, "hit").inc()
        return looked

    def _member_keys(self, route: str, member_id: int) -> tuple[list[str], list[str]]:
        """The version counters and the write marks of a member's route."""
        if self.store is None:
            return [], []
        keys = self._keys
        if route == FREQUENCIA:
            return [keys.member(member_id)], [keys.writing(member_id)]
        counters = [keys.member(member_id), keys.projected_member(member_id), keys.model]
        return counters, [keys.writing(member_id), keys.projecting(member_id)]

    def _entry(self, route: str, subject: str, query: str) -> tuple[str, str]:
        """The head and tail of an entry's key (the versions go between): the route, the
        subject, today's local date (answers that default to "today" change with it) and the
        query (canonical)."""
        assert self.store is not None
        return f"{self.store.prefix}:c:{route}:{subject}:", f":{self._today()}:{query}"

    @property
    def _keys(self) -> VersionKeys:
        assert self.store is not None
        return self.store.versions

    async def _answer(
        self,
        route: str,
        version_keys: list[str],
        subject: str,
        params: dict[str, Any],
        answer: Answer,
        marks: list[str] | None = None,
    ) -> Response:
        store = self.store
        if store is None or not self.breaker.allow():
            return _respond(route, "bypass", encode(await answer()))
        head, tail = self._entry(route, subject, canonical(params))
        try:
            if self._generation_owed:
                await store.new_generation()
                self._generation_owed = False
                log.info("cache back: new generation, answers cached before are unreachable")
            found = await _lookup(store, version_keys, head, tail, marks)
        except REDIS_ERRORS as error:
            self._failed(error)
            return _respond(route, "error", encode(await answer()))
        self.breaker.succeeded()
        if found.writing:  # a change is being committed: neither serve nor store
            return _respond(route, "bypass", encode(await answer()))
        if found.value is not None:
            return _respond(route, "hit", found.value)
        body = await self._flights.run(found.key, lambda: self._fill(route, found.key, answer))
        return _respond(route, "miss", body)

    async def _fill(self, route: str, key: str, answer: Answer) -> bytes:
        """Compute and store the answer of ``key``, unless another gateway process is doing so
        (its fill lock): then wait briefly for its result."""
        assert self.store is not None
        token = await self._quietly(self.store.lock(key, self._policy.lock_milliseconds))
        if token is None and not self.breaker.is_open:  # another process fills it
            stored = await self._wait_for(key)
            if stored is not None:
                return stored
        try:
            body = encode(await answer())
            await self._quietly(self.store.put(key, body, self._policy.ttl_seconds[route]))
        finally:
            if token is not None:
                await self._quietly(self.store.unlock(key, token))
        return body

    async def _wait_for(self, key: str) -> bytes | None:
        """The entry another process is filling, polled until ``lock_wait_seconds``."""
        assert self.store is not None
        deadline = time.monotonic() + self._policy.lock_wait_seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(self._policy.poll_seconds)
            try:
                stored = await self.store.get(key)
            except REDIS_ERRORS as error:
                self._failed(error)
                return None
            if stored is not None:
                return stored
        return None

    async def _quietly(self, call: Coroutine[Any, Any, Any]) -> Any:
        """``call``'s result, or None if Redis failed (noted by the breaker)."""
        try:
            return await call
        except REDIS_ERRORS as error:
            self._failed(error)
            return None

    def _failed(self, error: BaseException) -> None:
        if not self.breaker.is_open:
            log.warning("cache bypassed: Redis failed (%r)", error)
        self.breaker.failed()
        self._generation_owed = True


@dataclass(frozen=True)
class Looked:
    """A lookup made before routing: its arguments, and the entry or Redis's error."""

    arguments: tuple[Any, ...]
    found: Lookup | None
    error: BaseException | None = None

    @property
    def hit(self) -> bytes | None:
        return None if self.found is None or self.found.writing else self.found.value


# The lookup made before routing for the request being answered, if any: set by the hits
# middleware around the route, so that a request costs one lookup, hit or miss.
LOOKED: ContextVar[Looked | None] = ContextVar("frequenta_cache_looked", default=None)


async def _lookup(
    store: CacheStore, keys: list[str], head: str, tail: str, marks: list[str] | None
) -> Lookup:
    """The lookup made before routing for these very arguments, else a new one."""
    looked = LOOKED.get()
    if looked is not None and looked.arguments == (keys, head, tail, marks):
        LOOKED.set(None)
        if looked.error is not None:
            raise looked.error
        assert looked.found is not None
        return looked.found
    return await store.lookup(keys, head, tail, marks)


@functools.cache
def _counter(route: str, result: str) -> Any:
    """The child of CACHE_REQUESTS for these labels (looked up once, not per request)."""
    return CACHE_REQUESTS.labels(route, result)


def _respond(route: str, result: str, body: bytes) -> Response:
    _counter(route, result).inc()
    return Response(content=body, media_type="application/json", headers={"X-Cache": result})
