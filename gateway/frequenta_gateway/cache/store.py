"""The cache's Redis operations, each one round trip: look up an answer under the versions read
in the same script, store one with its TTL, take and release a fill lock. Every call fails fast
(the client's socket timeout, no retries); the caller decides what a failure means."""

import uuid
from dataclasses import dataclass

import redis.asyncio as redis

from frequenta_kit.cache_versions import VersionKeys

# KEYS: the version counters, then the write marks; ARGV: the entry key's head and tail, and
# how many KEYS are counters. The entry's key is the head, the counters' values (0 when unset)
# joined by dots, and the tail. Returns the key and the entry (nil on a miss); or an empty key
# when a mark is set (a change of the subject is being committed: do not serve, do not store).
# Reading the versions and the entry in one script makes a hit one round trip. (The entry's key
# is built in the script: fine on one Redis, not on a Redis Cluster.)
_LOOKUP = """
local counters = tonumber(ARGV[3])
for i = counters + 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then return {'', false} end
end
local versions = {}
for i = 1, counters do versions[i] = redis.call('GET', KEYS[i]) or '0' end
local entry = ARGV[1] .. table.concat(versions, '.') .. ARGV[2]
return {entry, redis.call('GET', entry)}
"""
# Deletes the lock only if it is still ours (it may have expired and been taken by another).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Lookup:
    key: str  # the entry's key, versions included; "" while the subject is being written
    value: bytes | None  # None: a miss

    @property
    def writing(self) -> bool:
        return not self.key


class CacheStore:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.versions = VersionKeys(prefix)
        self.prefix = prefix
        self._lookup = client.register_script(_LOOKUP)
        self._release = client.register_script(_RELEASE)

    async def lookup(
        self, version_keys: list[str], head: str, tail: str, marks: list[str] | None = None
    ) -> Lookup:
        counters = [self.versions.generation, *version_keys]
        key, *value = await self._lookup(
            keys=[*counters, *(marks or [])], args=[head, tail, len(counters)]
        )
        return Lookup(key.decode(), value[0] if value and value[0] else None)

    async def get(self, key: str) -> bytes | None:
        return await self.client.get(key)

    async def put(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self.client.set(key, value, ex=ttl_seconds)

    async def lock(self, key: str, milliseconds: int) -> str | None:
        """Take the fill lock of ``key`` for ``milliseconds``; its token, or None if taken."""
        token = uuid.uuid4().hex
        taken = await self.client.set(f"{key}:lock", token, nx=True, px=milliseconds)
        return token if taken else None

    async def unlock(self, key: str, token: str) -> None:
        await self._release(keys=[f"{key}:lock"], args=[token])

    async def new_generation(self) -> None:
        await self.client.incr(self.versions.generation)
