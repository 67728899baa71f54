"""HandlerCache: a method's wrapped handler is built once and rebuilt only for another handler."""

import grpc

from frequenta_kit.grpc_handlers import HandlerCache


async def _behaviour(request, context):
    return request


def test_the_same_handler_is_wrapped_once():
    cache = HandlerCache()
    handler = grpc.unary_unary_rpc_method_handler(_behaviour)
    built = []

    def wrap(method, inner):
        built.append((method, inner))
        return grpc.unary_unary_rpc_method_handler(_behaviour)

    first = cache.get("/s/M", handler, wrap)
    assert cache.get("/s/M", handler, wrap) is first
    assert built == [("/s/M", handler)]


def test_another_handler_or_method_is_wrapped_again():
    cache = HandlerCache()
    handler, refusal = (grpc.unary_unary_rpc_method_handler(_behaviour) for _ in range(2))

    def wrap(method, inner):
        return grpc.unary_unary_rpc_method_handler(_behaviour)

    first = cache.get("/s/M", handler, wrap)
    other_method = cache.get("/s/N", handler, wrap)
    refused = cache.get("/s/M", refusal, wrap)
    assert len({id(first), id(other_method), id(refused)}) == 3
    assert cache.get("/s/M", handler, wrap) is not first  # rebuilt after the refusal's
