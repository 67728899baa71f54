"""The one table between domain errors and gRPC statuses, with google.rpc.ErrorInfo details.

Servers raise :class:`DomainError`; :class:`DomainErrorInterceptor` turns it into a rich status.
Clients read it back with :func:`describe_rpc_error`.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from frequenta_kit.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from frequenta_kit.grpc_handlers import HandlerCache, rewrap

ERROR_DOMAIN = "frequenta"

GRPC_STATUS_BY_ERROR: dict[type[DomainError], grpc.StatusCode] = {
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    Conflict: grpc.StatusCode.FAILED_PRECONDITION,
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
}

log = logging.getLogger(__name__)


def grpc_code_for(error: DomainError) -> grpc.StatusCode:
    for kind in type(error).__mro__:
        if kind in GRPC_STATUS_BY_ERROR:
            return GRPC_STATUS_BY_ERROR[kind]
    return grpc.StatusCode.INTERNAL


def to_grpc_status(error: DomainError) -> grpc.Status:
    code = grpc_code_for(error)
    info = error_details_pb2.ErrorInfo(reason=error.code, domain=ERROR_DOMAIN)
    if error.field:
        info.metadata["field"] = error.field
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(
        code=getattr(code_pb2, code.name), message=error.message, details=[detail]
    )
    return rpc_status.to_status(status)


async def abort_with(context: grpc.aio.ServicerContext, error: DomainError) -> None:
    status = to_grpc_status(error)
    await context.abort(status.code, status.details, status.trailing_metadata)


@dataclass(frozen=True)
class RpcErrorInfo:
    """What a client needs from a failed call."""

    status: grpc.StatusCode
    message: str
    reason: str | None = None
    field: str | None = None


def describe_rpc_error(error: grpc.aio.AioRpcError) -> RpcErrorInfo:
    reason = field = None
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        status = None
    if status is not None:
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                reason = info.reason
                field = info.metadata.get("field")
    return RpcErrorInfo(error.code(), error.details() or "", reason, field)


Behavior = Callable[..., Any]


def _wrap_unary(behavior: Behavior) -> Behavior:
    async def wrapper(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await behavior(request_or_iterator, context)
        except DomainError as error:
            await abort_with(context, error)

    return wrapper


def _wrap_stream(behavior: Behavior) -> Behavior:
    async def wrapper(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            async for response in behavior(request_or_iterator, context):
                yield response
        except DomainError as error:
            await abort_with(context, error)

    return wrapper


class DomainErrorInterceptor(grpc.aio.ServerInterceptor):
    """Turns a DomainError escaping any servicer method into its gRPC status (each method's
    handler wrapped once)."""

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
        return self._wrapped.get(handler_call_details.method, handler, _wrap)


def _wrap(method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    return rewrap(handler, unary=_wrap_unary, streaming=_wrap_stream)
