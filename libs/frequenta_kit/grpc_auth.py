"""Internal credentials of the gRPC services: a shared token in metadata.

Every caller sends ``authorization: Bearer <FREQUENTA_INTERNAL_TOKEN>`` with every call. The
servers refuse a call without it, or with another token, with ``UNAUTHENTICATED`` and a
``google.rpc.ErrorInfo`` reason (``INTERNAL_TOKEN_MISSING`` / ``INTERNAL_TOKEN_INVALID``). Only
the standard health service is open (probes carry no secrets); reflection needs the token too,
``grpcurl -H 'authorization: Bearer ...'`` sends it with its reflection requests as well.

Without a token configured the check is off, which only a local environment (local, dev, test)
accepts, with a warning at start-up; anywhere else the server refuses to start
(:func:`server_token`). Clients open their channels with
:func:`frequenta_kit.grpc_channels.channel` (``token=``; or :func:`internal_sync_channel`), which
adds the metadata to every call.
"""

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health
from grpc_status import rpc_status
from pydantic import SecretStr

from frequenta_kit.grpc_errors import ERROR_DOMAIN
from frequenta_kit.settings import LOCAL_ENVIRONMENTS

# A missing token turns the check off (with a warning) in LOCAL_ENVIRONMENTS only: the same ones
# where the dev JWT secret and the dev admin password are accepted.
METADATA_KEY = "authorization"
SCHEME = "Bearer "
# Open to callers without the token: the health service (Check, Watch), for probes.
OPEN_METHOD_PREFIXES = (f"/{health.SERVICE_NAME}/",)
TOKEN_MISSING = "INTERNAL_TOKEN_MISSING"
TOKEN_INVALID = "INTERNAL_TOKEN_INVALID"

Token = SecretStr | str | None

log = logging.getLogger(__name__)


class InternalTokenRequired(RuntimeError):
    """A gRPC server outside a local environment has no internal token configured."""


def _plain(token: Token) -> str | None:
    value = token.get_secret_value() if isinstance(token, SecretStr) else token
    return value or None


def has_token(token: Token) -> bool:
    return _plain(token) is not None


def metadata_pair(token: Token) -> tuple[str, str]:
    """The metadata entry a caller sends: ``("authorization", "Bearer <token>")``."""
    value = _plain(token)
    if value is None:
        raise ValueError("no internal token to send")
    return METADATA_KEY, SCHEME + value


def server_token(token: Token, environment: str) -> str | None:
    """The token a server must require, or None when the check is off (no token, local
    environment: logged as a warning). Raises :class:`InternalTokenRequired` when no token is
    configured outside a local environment: the process must not start."""
    value = _plain(token)
    if value is not None:
        return value
    if environment.lower() in LOCAL_ENVIRONMENTS:
        log.warning(
            "FREQUENTA_INTERNAL_TOKEN is not set: gRPC calls are accepted without credentials "
            "(allowed only because FREQUENTA_ENVIRONMENT=%s)",
            environment,
        )
        return None
    raise InternalTokenRequired(
        f"FREQUENTA_INTERNAL_TOKEN is not set and FREQUENTA_ENVIRONMENT={environment!r} is not "
        f"one of {', '.join(sorted(LOCAL_ENVIRONMENTS))}: refusing to serve gRPC without "
        "credentials. Set the same FREQUENTA_INTERNAL_TOKEN on every process."
    )


# --- server side ---------------------------------------------------------------------------------


def _refusal(reason: str, message: str) -> grpc.Status:
    info = error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN)
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code_pb2.UNAUTHENTICATED, message=message, details=[detail])
    return rpc_status.to_status(status)


MISSING = _refusal(
    TOKEN_MISSING,
    "This service takes internal callers only: send the metadata "
    "'authorization: Bearer <FREQUENTA_INTERNAL_TOKEN>'.",
)
INVALID = _refusal(
    TOKEN_INVALID, "The internal token sent in 'authorization' is not this service's."
)


def _refusing_handler(handler: grpc.RpcMethodHandler | None, refusal: grpc.Status) -> Any:
    """A handler of the same kind as ``handler`` that aborts with ``refusal`` at once."""

    async def refuse(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(refusal.code, refusal.details, refusal.trailing_metadata)

    if handler is None or handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(refuse)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(refuse)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(refuse)
    return grpc.stream_stream_rpc_method_handler(refuse)


class InternalTokenInterceptor(grpc.aio.ServerInterceptor):
    """Lets a call through only with ``authorization: Bearer <token>`` (compared in constant
    time); the health service is open."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("an empty internal token")
        self._expected = (SCHEME + token).encode()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = handler_call_details.method or ""
        if method.startswith(OPEN_METHOD_PREFIXES):
            return await continuation(handler_call_details)
        sent = [
            value
            for key, value in handler_call_details.invocation_metadata or ()
            if key == METADATA_KEY
        ]
        if not sent:
            return _refusing_handler(await continuation(handler_call_details), MISSING)
        value = sent[0].encode() if isinstance(sent[0], str) else bytes(sent[0])
        if len(sent) != 1 or not hmac.compare_digest(value, self._expected):
            log.warning("gRPC call to %s refused: wrong internal token", method)
            return _refusing_handler(await continuation(handler_call_details), INVALID)
        return await continuation(handler_call_details)


def server_interceptors(token: str | None) -> list[grpc.aio.ServerInterceptor]:
    """The interceptors a server installs for ``token`` (none when the check is off)."""
    return [InternalTokenInterceptor(token)] if token else []


# --- client side ---------------------------------------------------------------------------------


class _SyncTokenInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    def __init__(self, token: Token) -> None:
        self._pair = metadata_pair(token)

    def _with_token(self, details: Any) -> Any:
        return _SyncDetails(
            details.method,
            details.timeout,
            [*(details.metadata or ()), self._pair],
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return continuation(self._with_token(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return continuation(self._with_token(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return continuation(self._with_token(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return continuation(self._with_token(client_call_details), request_iterator)


class _SyncDetails(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):  # type: ignore[no-untyped-def]
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression


def internal_sync_channel(
    address: str, token: Token, *, options: Sequence[tuple[str, Any]] | None = None
) -> grpc.Channel:
    """A blocking channel sending ``token`` with every call (benchmarks, scripts); async
    callers use :func:`frequenta_kit.grpc_channels.channel`."""
    channel = grpc.insecure_channel(address, options=options)
    if _plain(token) is None:
        return channel
    return grpc.intercept_channel(channel, _SyncTokenInterceptor(token))
