"""Cache versions: the counters in Redis that make the gateway's cached answers unreachable once
the data behind them changed (docs/cache.md).

The gateway puts these counters in the key of every cached answer and reads them before it asks
a service. A service bumps them right after it commits a change:

    async with CacheVersions.open(settings) as versions:   # one per process
        marked = await versions.mark_members([member_id])   # just before the commit
        ...                                                 # commit
        await versions.bump_members([member_id], marked=marked)  # right after it
        await versions.bump_projected([member_id])          # churn's projection of it changed
        await versions.bump_list()                          # the at-risk list changed
        await versions.bump_model()                         # another model serves

Keys (``<prefix>`` is FREQUENTA_REDIS_KEY_PREFIX):

- ``<prefix>:v:aluno:<id>``: attendance changed a member (visits, membership);
- ``<prefix>:v:projecao:<id>``: churn's projection of the member changed (it lags attendance;
  only risk answers carry it, so the attendance answers survive the projection catching up);
- ``<prefix>:v:risco``: the at-risk list changed (snapshot rescored, a cancellation);
- ``<prefix>:v:modelo``: the serving model changed (every member's risk);
- ``<prefix>:gen``: the generation, in every key: changing it drops the whole cache;
- ``<prefix>:w:aluno:<id>``, ``<prefix>:w:projecao:<id>``: write marks, set from just before a
  commit until its bump: the gateway neither serves nor stores the member's answers meanwhile,
  which closes the window between a commit and its bump.

A bump never raises and never fails the request that caused it: a short socket timeout, and a
Redis failure is logged and counted. Since a lost bump would leave an old answer reachable, the
process then owes a generation bump and pays it as soon as Redis answers again (retried in the
background; meanwhile its other bumps are skipped, the generation bump covering them); it owes
one from its start too, for whatever its predecessor committed and could not bump before it
stopped.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import redis.asyncio as redis
from prometheus_client import Counter
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from frequenta_kit.settings import BaseProcessSettings

log = logging.getLogger(__name__)

BUMPS = Counter(
    "frequenta_cache_version_bumps_total",
    "Cache version bumps after commits, by result: ok, failed (now owed), owed (skipped: a "
    "generation bump is owed and will cover it).",
    ["result"],
)
# How long a write mark (mark_members) lasts at most: a writer that dies does not keep its
# members out of the cache for longer. A transaction longer than this loses the mark's cover.
WRITE_MARK_MS = 10_000
# Sets one writer's marks (a mark counts the writers in flight) for ARGV[1] ms at most.
_MARK = """
for _, key in ipairs(KEYS) do
  redis.call('INCR', key)
  redis.call('PEXPIRE', key, ARGV[1])
end
return 0
"""
# Bumps the ARGV[1] first keys (versions), then lifts one writer's marks, the other keys: a
# mark is gone at zero (or if expired).
_BUMP = """
local versions = tonumber(ARGV[1])
for i = 1, versions do redis.call('INCR', KEYS[i]) end
for i = versions + 1, #KEYS do
  if redis.call('DECR', KEYS[i]) <= 0 then redis.call('DEL', KEYS[i]) end
end
return 0
"""
# Errors a Redis call can end with: the server away, slow (socket timeout), or refusing.
REDIS_ERRORS = (redis.RedisError, OSError, asyncio.TimeoutError)


@dataclass(frozen=True)
class VersionKeys:
    """The names of the version counters; the gateway and the services share them."""

    prefix: str

    @property
    def generation(self) -> str:
        return f"{self.prefix}:gen"

    def member(self, member_id: int) -> str:
        return f"{self.prefix}:v:aluno:{member_id}"

    def projected_member(self, member_id: int) -> str:
        return f"{self.prefix}:v:projecao:{member_id}"

    def writing(self, member_id: int) -> str:
        """Set while attendance commits a change of the member (see mark_members)."""
        return f"{self.prefix}:w:aluno:{member_id}"

    def projecting(self, member_id: int) -> str:
        """Set while churn's projection commits a change of the member."""
        return f"{self.prefix}:w:projecao:{member_id}"

    @property
    def risk_list(self) -> str:
        return f"{self.prefix}:v:risco"

    @property
    def model(self) -> str:
        return f"{self.prefix}:v:modelo"


def redis_client(url: str, timeout: float) -> redis.Redis:
    """A client whose every call gives up after ``timeout`` seconds, without retries: a caller
    that has a fallback wants the failure now, not after redis-py's ten reconnection attempts."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


class CacheVersions:
    def __init__(
        self, client: redis.Redis | None, prefix: str, *, retry_seconds: float = 1.0
    ) -> None:
        self.keys = VersionKeys(prefix)
        self._client = client
        self._retry_seconds = retry_seconds
        self._owed = False  # a bump was lost: the generation must change
        self._failures = 0
        self._paying: asyncio.Task[None] | None = None
        # One script call per mark and per bump: a single command is cheaper for the client
        # than a pipeline of several (redis-py sends EVALSHA, loading the script if needed).
        self._mark_script = client.register_script(_MARK) if client is not None else None
        self._bump_script = client.register_script(_BUMP) if client is not None else None

    @classmethod
    def open(cls, settings: BaseProcessSettings) -> "CacheVersions":
        client = redis_client(settings.redis_url, settings.cache_bump_timeout_seconds)
        return cls(client, settings.redis_key_prefix)

    @property
    def owes_generation(self) -> bool:
        return self._owed

    async def __aenter__(self) -> Self:
        self._owe("this process started")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._paying is not None:
            self._paying.cancel()
            await asyncio.gather(self._paying, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def mark_members(self, member_ids: Iterable[int]) -> bool:
        """Before a commit changing these members: the gateway neither serves nor stores their
        answers until :meth:`bump_members` (``marked=True``) after the commit, or for
        WRITE_MARK_MS at most. True if marked."""
        return await self._mark([self.keys.writing(m) for m in sorted(set(member_ids))])

    async def mark_projected(self, member_ids: Iterable[int]) -> bool:
        """:meth:`mark_members` for churn's projection of the members."""
        return await self._mark([self.keys.projecting(m) for m in sorted(set(member_ids))])

    async def bump_members(
        self, member_ids: Iterable[int], *, risk_list: bool = False, marked: bool = False
    ) -> bool:
        """Bump each member's version (and the list's), and lift the marks of
        :meth:`mark_members` if ``marked``: one round trip."""
        keys = self.keys
        return await self._bump(member_ids, keys.member, keys.writing, risk_list, marked)

    async def bump_projected(
        self, member_ids: Iterable[int], *, risk_list: bool = False, marked: bool = False
    ) -> bool:
        """Bump the versions of churn's projection of each member (and the list's), lifting
        the marks of :meth:`mark_projected` if ``marked``."""
        keys = self.keys
        return await self._bump(
            member_ids, keys.projected_member, keys.projecting, risk_list, marked
        )

    async def _bump(
        self,
        member_ids: Iterable[int],
        version_of: Callable[[int], str],
        mark_of: Callable[[int], str],
        risk_list: bool,
        marked: bool,
    ) -> bool:
        ids = sorted(set(member_ids))
        keys = [version_of(member_id) for member_id in ids]
        if risk_list:
            keys.append(self.keys.risk_list)
        marks = [mark_of(member_id) for member_id in ids] if marked else []
        return await self._increment(keys, unmark=marks)

    async def bump_list(self) -> bool:
        return await self._increment([self.keys.risk_list])

    async def bump_model(self) -> bool:
        """Another model serves: every member's risk and the list change."""
        return await self._increment([self.keys.model, self.keys.risk_list])

    async def bump_generation(self) -> bool:
        return await self._increment([self.keys.generation])

    async def _mark(self, marks: list[str]) -> bool:
        """INCR each write mark (one per writer in flight) with an expiry, in one script call."""
        if not marks or self._mark_script is None or self._owed:
            return False
        try:
            await self._mark_script(keys=marks, args=[WRITE_MARK_MS])
        except REDIS_ERRORS as error:
            log.warning("cache write marks not set: %r", error)
            self._owe("a mark failed")
            return False
        return True

    async def _increment(self, keys: list[str], unmark: list[str] | None = None) -> bool:
        """INCR every key and lift the ``unmark`` write marks, in one script call. False
        (logged, counted, and owed) if Redis failed.

        While a generation bump is owed, nothing is sent: that bump, made after this commit,
        covers it, and a hung Redis then costs a write no timeout at all."""
        if not keys or self._bump_script is None:
            return True
        if self._owed:
            BUMPS.labels("owed").inc()
            return False
        try:
            await self._bump_script(keys=[*keys, *(unmark or ())], args=[len(keys)])
        except REDIS_ERRORS as error:
            BUMPS.labels("failed").inc()
            log.warning("cache versions not bumped (%s): %r", ", ".join(keys), error)
            self._owe("a bump failed")
            return False
        BUMPS.labels("ok").inc()
        return True

    def _owe(self, why: str) -> None:
        """Remember that the generation must change, and retry that in the background."""
        self._failures += 1
        self._owed = True
        if self._client is not None and (self._paying is None or self._paying.done()):
            log.debug("cache generation owed: %s", why)
            self._paying = asyncio.get_running_loop().create_task(self._pay())

    async def _pay(self) -> None:
        """Bump the generation until it works; then every answer cached before is unreachable."""
        assert self._client is not None
        while self._owed:
            failures = self._failures
            try:
                await self._client.incr(self.keys.generation)
            except REDIS_ERRORS as error:
                log.debug("cache generation still owed: %r", error)
                await asyncio.sleep(self._retry_seconds)
                continue
            BUMPS.labels("ok").inc()
            if self._failures == failures:
                self._owed = False
                log.info("cache generation bumped: every answer cached before is unreachable")


async def commit_and_bump(
    commit: Callable[[], Awaitable[None]],
    versions: CacheVersions | None,
    member_ids: set[int],
    *,
    risk_list: bool,
    projected: bool = False,
) -> None:
    """Run a unit of work's ``commit`` with the members it changed marked as being written
    before, and their versions (attendance's, or churn's projection's if ``projected``) bumped
    after: even when the commit's outcome is unknown, since an extra bump costs one miss."""
    if versions is None or not member_ids:
        await commit()
        return
    mark, bump = versions.mark_members, versions.bump_members
    if projected:
        mark, bump = versions.mark_projected, versions.bump_projected
    marked = await mark(member_ids)
    try:
        await commit()
    finally:
        await bump(member_ids, risk_list=risk_list, marked=marked)
