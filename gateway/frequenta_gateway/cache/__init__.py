"""The gateway's response cache (docs/cache.md): ``ResponseCache`` opened by the app's lifespan,
handed to routes by ``CacheDep``."""

from typing import Annotated

from fastapi import Depends, Request

from frequenta_gateway.cache.responses import CACHE_REQUESTS, ResponseCache

__all__ = ["CACHE_REQUESTS", "CacheDep", "ResponseCache", "get_cache"]


async def get_cache(request: Request) -> ResponseCache:
    return request.app.state.cache


CacheDep = Annotated[ResponseCache, Depends(get_cache)]
