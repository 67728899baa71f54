"""Every route of the gateway and every dependency it declares is `async`: FastAPI runs a plain
`def` endpoint or dependency in its thread pool, a thread hop per call per request, which cost a
fifth of the gateway's CPU per check-in before it was removed (docs/http-load.md)."""

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from frequenta_gateway.app import create_app
from frequenta_gateway.settings import GatewaySettings


def runs_on_the_loop(call: Callable[..., Any]) -> bool:
    """True when FastAPI awaits ``call`` on the event loop instead of a worker thread."""
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return True
    method = getattr(call, "__call__", None)  # noqa: B004 - a callable instance (OAuth2 schemes)
    return not inspect.isfunction(call) and (
        inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)
    )


def calls(dependant: Dependant, where: str) -> Iterator[tuple[str, Callable[..., Any]]]:
    if dependant.call is not None:
        yield where, dependant.call
    for sub in dependant.dependencies:
        yield from calls(sub, f"{where} -> {getattr(sub.call, '__qualname__', sub.call)}")


def api_routes(app: FastAPI) -> list[Any]:
    """The app's API routes with their effective dependencies (this FastAPI keeps an included
    router's routes behind an `_IncludedRouter`, with the include's own dependencies added)."""
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "effective_candidates"):
            found += [each for each in route.effective_candidates() if hasattr(each, "dependant")]
    return found


def test_every_endpoint_and_dependency_is_async():
    routes = api_routes(create_app(GatewaySettings()))
    assert any(route.path == "/aluno/checkin" for route in routes)
    threaded = [
        f"{sorted(route.methods)} {route.path}: {where}"
        for route in routes
        for where, call in calls(route.dependant, route.name)
        if not runs_on_the_loop(call)
    ]
    assert not threaded, "run in FastAPI's thread pool (make them `async def`):\n" + "\n".join(
        threaded
    )


def test_a_plain_function_is_caught():
    def plain() -> int:
        return 1

    async def awaited() -> int:
        return 1

    assert not runs_on_the_loop(plain) and runs_on_the_loop(awaited)
