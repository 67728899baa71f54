"""A gRPC method handler rebuilt with its behaviour wrapped: the one piece every server
interceptor of the project (domain errors, observability) needs, whatever the call's kind."""

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
