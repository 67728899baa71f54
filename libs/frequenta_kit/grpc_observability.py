"""What a gRPC server sees of each call, for operators: the caller's request id (metadata
``x-request-id``) in the request-id context variable while the call runs, so every log line of
the call carries it, and Prometheus series of calls by method and status code with their
latency (``frequenta_grpc_server_*``).

:class:`ObservabilityInterceptor` goes first in the server's interceptor list (grpc_server.py),
so it sees the status the inner interceptors (domain errors, credentials) set.
"""

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from frequenta_kit import request_ids
from frequenta_kit.grpc_channels import split_method
from frequenta_kit.grpc_handlers import HandlerCache, rewrap

SERVER_CALLS = Counter(
    "frequenta_grpc_server_calls_total",
    "gRPC calls handled by this process, by service, method and status code.",
    ["service", "method", "code"],
)
SERVER_CALL_SECONDS = Histogram(
    "frequenta_grpc_server_call_duration_seconds",
    "Time to handle a gRPC call (a stream: until its last message), by service and method.",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

Behavior = Callable[..., Any]

# One line per call (method, status, milliseconds; the request id comes with every line).
# FREQUENTA_GRPC_ACCESS_LOG=false turns it off (frequenta_kit.logs.configure_logging).
access_log = logging.getLogger("frequenta.grpc.access")


def request_id_of(context: grpc.aio.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == request_ids.METADATA_KEY and isinstance(value, str):
            return value if request_ids.acceptable(value) else None
    return None


def _code(context: grpc.aio.ServicerContext, failed: BaseException | None) -> str:
    """The call's status: the one set (or aborted with), else OK, or CANCELLED / UNKNOWN for a
    cancelled call and an exception no interceptor turned into a status."""
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code.name
    if failed is None:
        return grpc.StatusCode.OK.name
    if isinstance(failed, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED.name
    return grpc.StatusCode.UNKNOWN.name


class _Method:
    """One method's series, bound once (a label lookup per call costs more than the call's own
    bookkeeping)."""

    def __init__(self, service: str, method: str) -> None:
        self.service, self.method = service, method
        self.seconds = SERVER_CALL_SECONDS.labels(service, method)
        self._calls: dict[str, Any] = {}

    def calls(self, code: str) -> Any:
        counter = self._calls.get(code)
        if counter is None:
            counter = self._calls[code] = SERVER_CALLS.labels(self.service, self.method, code)
        return counter


class _Call:
    """The bookkeeping of one call: its request id bound, its time and code recorded."""

    def __init__(self, method: _Method, context: grpc.aio.ServicerContext) -> None:
        self.method, self.context = method, context
        self.started = time.perf_counter()

    def finish(self, failed: BaseException | None) -> None:
        code = _code(self.context, failed)
        seconds = time.perf_counter() - self.started
        method = self.method
        method.seconds.observe(seconds)
        method.calls(code).inc()
        access_log.info("%s/%s %s %.1fms", method.service, method.method, code, seconds * 1000)


def _wrap_unary(behavior: Behavior, method: _Method) -> Behavior:
    async def wrapper(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        call = _Call(method, context)
        request_ids.set_current(request_id_of(context))  # each call runs in a task of its own
        try:
            reply = await behavior(request_or_iterator, context)
        except BaseException as error:
            call.finish(error)
            raise
        call.finish(None)
        return reply

    return wrapper


def _wrap_stream(behavior: Behavior, method: _Method) -> Behavior:
    """A streaming handler is an async generator, or a coroutine writing with
    ``context.write`` (e.g. one refusing the call at once): the wrapper is of the same kind."""
    if not inspect.isasyncgenfunction(behavior):
        return _wrap_unary(behavior, method)

    async def wrapper(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        call = _Call(method, context)
        request_ids.set_current(request_id_of(context))
        try:
            async for response in behavior(request_or_iterator, context):
                yield response
        except BaseException as error:
            call.finish(error)
            raise
        call.finish(None)

    return wrapper


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):
    """Binds each call's request id and records its metrics. A method's wrapped handler is
    built once and reused while the inner interceptors return the same handler for it."""

    def __init__(self) -> None:
        self._wrapped = HandlerCache()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        return self._wrapped.get(handler_call_details.method, handler, self._wrap)

    @staticmethod
    def _wrap(full_method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        method = _Method(*split_method(full_method))
        return rewrap(
            handler,
            unary=lambda behavior: _wrap_unary(behavior, method),
            streaming=lambda behavior: _wrap_stream(behavior, method),
        )
