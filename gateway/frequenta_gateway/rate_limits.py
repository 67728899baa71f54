"""Rate limits of the gateway, kept in Redis so every gateway replica counts together.

Two limits (README, "Limits"):
- writes: every POST, PUT, PATCH or DELETE of a client, the client being the login of the
  authenticated principal (``request.state.principal.login``) or else the client's IP address;
  a router carries :data:`WRITES` once (reads pass through it uncounted);
- logins: attempts at the token endpoint, per client IP and per login (:func:`limit_login`).

The window is a **moving window** (the `limits` library's, one Redis list per key): a client may
make N calls in any span of the period, with no burst of 2N across a fixed window's boundary;
`Retry-After` says when the oldest call in the window leaves it. Over the limit the answer is
429 ``RATE_LIMITED`` in the one error shape with `Retry-After` and `X-RateLimit-Limit`,
`X-RateLimit-Remaining`, `X-RateLimit-Reset` (seconds).

Redis down or slower than ``rate_limit_timeout_seconds``: the call is let through (fail open,
logged once per outage and counted in :attr:`RateLimiter.failed_open`), and Redis is not asked
again for :data:`RETRY_PAUSE_SECONDS`, so an outage costs one timeout now and then, never a 5xx.
"""

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from frequenta_gateway.errors import ApiError
from frequenta_gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

RATE_LIMITED = "RATE_LIMITED"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# After Redis failed, calls go unlimited this long before Redis is asked again.
RETRY_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class RateLimits:
    """The parsed limits (each setting may hold several, "10/minute;100/hour": all apply)."""

    writes: Sequence[RateLimitItem]
    login_per_ip: Sequence[RateLimitItem]
    login_per_user: Sequence[RateLimitItem]

    @classmethod
    def of(cls, settings: GatewaySettings) -> "RateLimits":
        return cls(
            writes=parse_many(settings.rate_limit_writes),
            login_per_ip=parse_many(settings.rate_limit_login_per_ip),
            login_per_user=parse_many(settings.rate_limit_login_per_user),
        )


@dataclass(frozen=True)
class Refusal:
    """The limit a call went over, and in how many seconds the window has room again."""

    limit: RateLimitItem
    retry_after: int


class RateLimiter:
    """Counts calls in Redis; :meth:`hit` answers None (go on) or the :class:`Refusal`."""

    def __init__(self, storage: RedisStorage, limits: RateLimits, *, timeout: float) -> None:
        self.limits = limits
        self.failed_open = 0  # calls let through because Redis could not be asked
        self._storage = storage
        self._strategy = MovingWindowRateLimiter(storage)
        self._timeout = timeout
        self._paused_until = 0.0
        self._failing = False

    @classmethod
    def of(cls, settings: GatewaySettings) -> "RateLimiter":
        """Connects lazily: building it does no I/O."""
        timeout = settings.rate_limit_timeout_seconds
        storage = RedisStorage(
            settings.redis_url,
            implementation="redispy",
            key_prefix=f"{settings.redis_key_prefix}:ratelimit",
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
        )
        return cls(storage, RateLimits.of(settings), timeout=timeout)

    async def hit(self, limits: Sequence[RateLimitItem], *key: str) -> Refusal | None:
        """Counts one call of ``key`` against each of ``limits``."""
        if time.monotonic() < self._paused_until:
            self.failed_open += 1
            return None
        try:
            async with asyncio.timeout(self._timeout):
                refusal = await self._hit(limits, key)
        except (RedisError, OSError, TimeoutError) as error:
            self._fail_open(error)
            return None
        if self._failing:
            self._failing = False
            log.info("rate limits: Redis answers again; limits apply")
        return refusal

    async def _hit(self, limits: Sequence[RateLimitItem], key: tuple[str, ...]) -> Refusal | None:
        for limit in limits:
            if not await self._strategy.hit(limit, *key):
                stats = await self._strategy.get_window_stats(limit, *key)
                wait = math.ceil(stats.reset_time - time.time())
                return Refusal(limit, max(wait, 1))
        return None

    def _fail_open(self, error: BaseException) -> None:
        self.failed_open += 1
        self._paused_until = time.monotonic() + RETRY_PAUSE_SECONDS
        if not self._failing:
            self._failing = True
            log.warning(
                "rate limits: Redis unavailable (%s); calls go through unlimited until it "
                "answers again",
                type(error).__name__,
            )

    async def close(self) -> None:
        await self._storage.bridge.storage.aclose()


def rate_limited(refusal: Refusal, what: str) -> ApiError:
    limit = refusal.limit
    period = f"{limit.multiples} {limit.GRANULARITY.name}" + ("s" if limit.multiples > 1 else "")
    return ApiError(
        429,
        RATE_LIMITED,
        f"Too many {what}: at most {limit.amount} per {period}. Retry in {refusal.retry_after} s.",
        headers={
            "Retry-After": str(refusal.retry_after),
            "X-RateLimit-Limit": str(limit.amount),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(refusal.retry_after),
        },
    )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def client_key(request: Request) -> str:
    """Who a write counts against: the authenticated login, or else the client's address."""
    principal = getattr(request.state, "principal", None)
    login = getattr(principal, "login", None)
    return f"login:{login}" if login else f"ip:{client_ip(request)}"


def get_rate_limiter(request: Request) -> RateLimiter | None:
    """The app's limiter; None when rate limits are off (FREQUENTA_RATE_LIMITS_ENABLED)."""
    return getattr(request.app.state, "rate_limiter", None)


async def limit_writes(request: Request) -> None:
    """Counts a write (POST, PUT, PATCH, DELETE) of the client; 429 over the limit."""
    limiter = get_rate_limiter(request)
    if limiter is None or request.method not in WRITE_METHODS:
        return
    refusal = await limiter.hit(limiter.limits.writes, "writes", client_key(request))
    if refusal is not None:
        raise rate_limited(refusal, "writes from this client")


async def limit_login(request: Request, login: str) -> None:
    """Counts an attempt at the token endpoint per client IP and per login (case and spaces
    ignored); 429 over either limit. Call it before checking the password."""
    limiter = get_rate_limiter(request)
    if limiter is None:
        return
    per_ip = await limiter.hit(limiter.limits.login_per_ip, "login-ip", client_ip(request))
    if per_ip is not None:
        raise rate_limited(per_ip, "login attempts from this address")
    name = login.strip().lower()
    per_user = await limiter.hit(limiter.limits.login_per_user, "login", name)
    if per_user is not None:
        raise rate_limited(per_user, "login attempts for this user")


# One per router: `APIRouter(..., dependencies=[WRITES])` limits its writes, not its reads.
WRITES = Depends(limit_writes)
