"""Every gRPC client channel of the project, built in one place: the same keepalive and
reconnection options, retries of idempotent reads through the gRPC service config, the request
id sent along (``x-request-id`` metadata), and a metric per call.

    channel = grpc_channels.channel(
        settings.attendance_address,
        service_config=grpc_channels.retrying_reads(grpc_channels.ATTENDANCE_READS),
        max_message_bytes=settings.grpc_max_message_bytes,
    )

What a caller can count on:
- A service that is down fails a call at once with UNAVAILABLE (never waits for the deadline):
  calls are not ``wait_for_ready``, reads are tried at most :data:`MAX_ATTEMPTS` times with
  short pauses, and the channel-wide retry throttle stops retrying while most calls fail.
- The channel reconnects by itself within :data:`MAX_RECONNECT_BACKOFF_MS` once the service is
  back: nobody has to restart the caller.
- Writes are never retried by the channel: a check-in is idempotent only when its client gave
  an idempotency key, so retrying one is the caller's decision.
- Every call still needs a deadline (``timeout=``): the channel does not add one.
"""

import asyncio
import functools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from frequenta_kit import grpc_auth, request_ids

ATTENDANCE_SERVICE = "frequenta.attendance.v1.AttendanceService"
CHURN_SERVICE = "frequenta.churn.v1.ChurnService"
HEALTH_SERVICE = "grpc.health.v1.Health"


@dataclass(frozen=True)
class Reads:
    """The methods of one service that only read, hence safe to retry."""

    service: str
    methods: tuple[str, ...]


# Reads (no side effect a client could see twice). GetChurnRisk records the answer it served,
# which is idempotent; the export streams are retried only before their first message.
ATTENDANCE_READS = Reads(
    ATTENDANCE_SERVICE,
    (
        "GetMember",
        "ListMembers",
        "ListPlans",
        "GetCheckInBatch",
        "GetAttendance",
        "ExportMembers",
        "ExportVisits",
        "GetDailyReport",
        "ListDailyReports",
    ),
)
CHURN_READS = Reads(
    CHURN_SERVICE,
    (
        "GetChurnRisk",
        "ListAtRiskMembers",
        "GetModelInfo",
        "ListModelVersions",
        "GetRetrainingJob",
    ),
)
HEALTH_READS = Reads(HEALTH_SERVICE, ("Check",))

# Attempts of a read (the first included), and the pauses between them (gRPC randomises each
# pause between 0 and the current backoff).
MAX_ATTEMPTS = 3
INITIAL_BACKOFF = "0.1s"
MAX_BACKOFF = "0.5s"
# Channel-wide budget: every failed call spends a token, every success gives back 0.1; below half
# of the tokens retries stop until calls succeed again (gRFC A6 retry throttling).
RETRY_TOKENS = 10
RETRY_TOKEN_RATIO = 0.1

# Reconnection after a service went away: the pause between attempts grows to at most this.
MIN_RECONNECT_BACKOFF_MS = 500
MAX_RECONNECT_BACKOFF_MS = 5000
# Keepalive pings on idle connections find a dead peer (a killed pod, a dropped NAT entry) before
# a call does. Servers accept pings this often (grpc_server.py).
KEEPALIVE_TIME_MS = 30_000
KEEPALIVE_TIMEOUT_MS = 10_000


def retrying_reads(*services: Reads) -> str:
    """The gRPC service config (JSON) that retries the reads of ``services`` on UNAVAILABLE."""
    names = [
        {"service": reads.service, "method": method}
        for reads in services
        for method in reads.methods
    ]
    config: dict[str, Any] = {
        "methodConfig": [
            {
                "name": names,
                "retryPolicy": {
                    "maxAttempts": MAX_ATTEMPTS,
                    "initialBackoff": INITIAL_BACKOFF,
                    "maxBackoff": MAX_BACKOFF,
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ],
        "retryThrottling": {"maxTokens": RETRY_TOKENS, "tokenRatio": RETRY_TOKEN_RATIO},
    }
    return json.dumps(config)


def channel_options(
    *, service_config: str | None = None, max_message_bytes: int | None = None
) -> list[tuple[str, Any]]:
    """The options of every channel (see the module's docstring for what they promise)."""
    options: list[tuple[str, Any]] = [
        ("grpc.enable_retries", 1),
        ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
        ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.min_reconnect_backoff_ms", MIN_RECONNECT_BACKOFF_MS),
        ("grpc.initial_reconnect_backoff_ms", MIN_RECONNECT_BACKOFF_MS),
        ("grpc.max_reconnect_backoff_ms", MAX_RECONNECT_BACKOFF_MS),
        # The config below is the whole of it: no DNS TXT look-ups for another.
        ("grpc.service_config_disable_resolution", 1),
    ]
    if service_config is not None:
        options.append(("grpc.service_config", service_config))
    if max_message_bytes is not None:
        options += [
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.max_receive_message_length", max_message_bytes),
        ]
    return options


def channel(
    address: str,
    *,
    service_config: str | None = None,
    max_message_bytes: int | None = None,
    token: grpc_auth.Token = None,
    interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
) -> grpc.aio.Channel:
    """An insecure grpc.aio channel to ``address`` with the project's options, sending the
    request id, the internal ``token`` when there is one (frequenta_kit.grpc_auth) and counting
    its calls; ``interceptors`` run after those."""
    sent = [grpc_auth.metadata_pair(token)] if grpc_auth.has_token(token) else []
    chain: list[grpc.aio.ClientInterceptor] = client_interceptors(sent)
    return grpc.aio.insecure_channel(
        address,
        options=channel_options(service_config=service_config, max_message_bytes=max_message_bytes),
        interceptors=[*chain, *interceptors],
    )


# --- interceptors: the request id, and a metric per call ------------------------------------------

CLIENT_CALLS = Counter(
    "frequenta_grpc_client_calls_total",
    "gRPC calls made by this process, by service, method and status code.",
    ["service", "method", "code"],
)
CLIENT_CALL_SECONDS = Histogram(
    "frequenta_grpc_client_call_duration_seconds",
    "Time from sending a gRPC call to its status, by service and method.",
    ["service", "method"],
)


def split_method(full: str | bytes) -> tuple[str, str]:
    """('/pkg.Service/Method') -> ('pkg.Service', 'Method')."""
    text = full.decode() if isinstance(full, bytes) else full
    service, _, method = text.lstrip("/").partition("/")
    return service, method


def outgoing(
    details: grpc.aio.ClientCallDetails, sent: Sequence[tuple[str, str]] = ()
) -> grpc.aio.ClientCallDetails:
    """``details`` plus the ``sent`` metadata (the internal token) and the ``x-request-id`` of
    the current request, if there is one."""
    request_id = request_ids.current()
    if not request_id and not sent:
        return details
    metadata = grpc.aio.Metadata(*tuple(details.metadata or ()))
    for key, value in sent:
        metadata.add(key, value)
    if request_id:
        metadata[request_ids.METADATA_KEY] = request_id
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


@functools.cache
def _series(full_method: str | bytes) -> tuple[Any, Callable[[grpc.StatusCode], Any]]:
    """The latency child and the counter children (by code) of one method, bound once: a
    ``labels()`` look-up per call was a visible part of the gateway's CPU per check-in."""
    service, method = split_method(full_method)

    @functools.cache
    def calls(code: grpc.StatusCode) -> Any:
        return CLIENT_CALLS.labels(service, method, code.name)

    return CLIENT_CALL_SECONDS.labels(service, method), calls


def _observe(call: Any, full_method: str | bytes) -> None:
    """Counts ``call`` by its status code once it is done (time from now to then)."""
    started = time.perf_counter()
    seconds, calls = _series(full_method)

    async def record() -> None:
        try:
            code = await call.code()
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
        seconds.observe(time.perf_counter() - started)
        calls(code).inc()

    def done(_: Any) -> None:
        task = asyncio.ensure_future(record())
        _pending.add(task)
        task.add_done_callback(_pending.discard)

    call.add_done_callback(done)


_pending: set[asyncio.Future[None]] = set()


class _Outgoing:
    """What every kind of call gets: its metadata, and a metric once it is done."""

    def __init__(self, sent: Sequence[tuple[str, str]]) -> None:
        self._sent = tuple(sent)

    async def _call(self, continuation: Any, details: Any, request: Any) -> Any:
        call = await continuation(outgoing(details, self._sent), request)
        _observe(call, details.method)
        return call


# grpc.aio files an interceptor under the first call kind it implements: one class per kind.
class _UnaryUnary(_Outgoing, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return await self._call(continuation, client_call_details, request)


class _UnaryStream(_Outgoing, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return await self._call(continuation, client_call_details, request)


class _StreamUnary(_Outgoing, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return await self._call(continuation, client_call_details, request_iterator)


class _StreamStream(_Outgoing, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return await self._call(continuation, client_call_details, request_iterator)


def client_interceptors(
    sent: Sequence[tuple[str, str]] = (),
) -> list[grpc.aio.ClientInterceptor]:
    """Interceptors for every call kind: ``sent`` metadata, the request id, a metric."""
    return [kind(sent) for kind in (_UnaryUnary, _UnaryStream, _StreamUnary, _StreamStream)]
