"""A gRPC method handler rebuilt with its behaviour wrapped: the one piece every server
interceptor of the project (domain errors, observability) needs, whatever the call's kind; and
the cache that builds it once per method rather than on every call."""

from collections.abc import Callable
from typing import Any

import grpc

# Takes a handler's behaviour (the servicer method) and returns the one to run instead.
Wrap = Callable[[Callable[..., Any]], Callable[..., Any]]


def rewrap(
    handler: grpc.RpcMethodHandler, *, unary: Wrap, streaming: Wrap
) -> grpc.RpcMethodHandler:
    """``handler`` with its behaviour wrapped by ``unary`` when the call answers one message,
    by ``streaming`` when it answers a stream; (de)serializers kept."""
    codecs = (handler.request_deserializer, handler.response_serializer)
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(unary(handler.unary_unary), *codecs)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(unary(handler.stream_unary), *codecs)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(streaming(handler.unary_stream), *codecs)
    return grpc.stream_stream_rpc_method_handler(streaming(handler.stream_stream), *codecs)


class HandlerCache:
    """The wrapped handler of each method, built by ``wrap(method, handler)`` on first use and
    again only when the handler to wrap is another object (grpc.aio runs the interceptors on
    every call; the servicer's handlers do not change, a refusal's is made per call)."""

    def __init__(self) -> None:
        self._by_method: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def get(
        self,
        method: str,
        handler: grpc.RpcMethodHandler,
        wrap: Callable[[str, grpc.RpcMethodHandler], grpc.RpcMethodHandler],
    ) -> grpc.RpcMethodHandler:
        cached = self._by_method.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = wrap(method, handler)
        self._by_method[method] = (handler, wrapped)
        return wrapped
