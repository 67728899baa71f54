"""Cache hits answered before FastAPI routes the request (docs/cache.md, "Hits first").

A hit of ``GET /aluno/{id}/frequencia`` or ``GET /aluno/{id}/risco-churn`` costs the gateway one
Redis round trip and the stored bytes; routing the request through FastAPI first (the
exception middleware, the route match, solving the dependencies, building a Response) cost
twice that again (docs/http-load.md). :class:`CachedHits`, a plain ASGI middleware inside the
request-id and metrics middlewares, answers such a request itself when all of these hold:

- a GET without a query string and without a body, on the path of a cached route;
- a bearer token the app's verifier accepts, of a caller the route's own policy lets in
  (:meth:`RolePolicy.lets_in`, the very check the route makes);
- the cache holds the answer of the route's declared query defaults under the current
  versions (:meth:`ResponseCache.look`: the route's lookup, which the route reuses when it
  is not a hit).

Anything else (no token or a bad one, a role or member the policy refuses, a query, a miss, a
change being committed, Redis failing) goes on to the route unchanged, which answers exactly as
it would have (401, 403, 404, 422, the computed answer), so the answer never depends on which
of the two served it. The metrics' route label comes from ``scope["route"]``, set here as the
router sets it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from fastapi.security.utils import get_authorization_scheme_param
from pydantic_core import PydanticUndefined
from starlette.types import ASGIApp, Receive, Scope, Send

from frequenta_gateway.auth import tokens
from frequenta_gateway.auth.policies import RolePolicy, policies_of
from frequenta_gateway.cache.policy import canonical
from frequenta_gateway.cache.responses import LOOKED, Looked

_AUTHORIZATION = b"authorization"
_BODY_HEADERS = (b"content-length", b"transfer-encoding")


@dataclass(frozen=True)
class CachedRoute:
    route: APIRoute
    name: str  # the cache's name of the route (FREQUENCIA, RISCO)
    policy: RolePolicy
    query: str  # the canonical query of a request without one: the route's declared defaults

    @classmethod
    def of(cls, route: APIRoute, name: str) -> "CachedRoute":
        policies = [policy for policy in policies_of(route) if isinstance(policy, RolePolicy)]
        if len(policies) != 1 or list(route.param_convertors) != ["id"]:
            raise ValueError(f"{route.path}: not a member's route with one role policy")
        defaults = {field.name: field.field_info.default for field in route.dependant.query_params}
        if PydanticUndefined in defaults.values():
            raise ValueError(f"{route.path}: a required query parameter has no default")
        return cls(route, name, policies[0], canonical(defaults))

    def member_id(self, path: str) -> int | None:
        match = self.route.path_regex.match(path)
        if match is None:
            return None
        return self.route.param_convertors["id"].convert(match["id"])


class CachedHits:
    """ASGI middleware: answers the cache hits of ``routes`` (module docstring)."""

    def __init__(self, app: ASGIApp, routes: Iterable[CachedRoute]) -> None:
        self.app = app
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        looked = None
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["query_string"]:
            cached, looked = await self._look(scope)
            if cached is not None and looked is not None and looked.hit is not None:
                scope["route"] = cached.route  # the metrics' label, as routing sets it
                await _send_hit(send, looked.hit)
                return
        reset = LOOKED.set(looked)  # the route reuses the lookup (one per request)
        try:
            await self.app(scope, receive, send)
        finally:
            LOOKED.reset(reset)

    async def _look(self, scope: Scope) -> tuple[CachedRoute | None, Looked | None]:
        """The cached route of the request and the cache's lookup, if the route's policy lets
        the caller in (None: not looked)."""
        path = scope["path"]
        for cached in self.routes:
            member_id = cached.member_id(path)
            if member_id is not None:
                break
        else:
            return None, None
        token = _bearer_token(scope["headers"])
        if token is None:
            return None, None
        state = scope["app"].state
        try:
            principal = state.tokens.decode(token)
        except tokens.TokenError:
            return None, None
        if not cached.policy.lets_in(principal, member_id):
            return None, None
        return cached, await state.cache.look(cached.name, member_id, cached.query)


def _bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The bearer token of a request without a body (None: no token, or a body to read)."""
    token = None
    for name, value in headers:
        if name == _AUTHORIZATION:
            if token is not None:  # more than one: left to the route
                return None
            scheme, token = get_authorization_scheme_param(value.decode("latin-1"))
            if scheme.lower() != "bearer":
                return None
        elif name in _BODY_HEADERS and value != b"0":
            return None
    return token or None


async def _send_hit(send: Send, body: bytes) -> None:
    """The route's own answer of a hit: 200, the stored JSON, ``X-Cache: hit``."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"x-cache", b"hit"),
                (b"content-length", str(len(body)).encode()),
                (b"content-type", b"application/json"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install_cached_hits(app: FastAPI, routes: Iterable[tuple[APIRouter, str, str]]) -> None:
    """Answer the hits of these GET routes (router, path template, the cache's name of the
    route) before routing. Call it before the request-id and metrics middlewares are added
    (they must wrap it)."""
    app.add_middleware(
        CachedHits,
        routes=[CachedRoute.of(_get(router, path), name) for router, path, name in routes],
    )


def _get(router: APIRouter, path: str) -> APIRoute:
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path == path and "GET" in route.methods:
            return route
    raise LookupError(f"no GET {path}")
