"""What operators see of the gateway: a request id on every request and response, in every log
line and in the gRPC calls it makes; Prometheus metrics at ``GET /metrics``.

- ``X-Request-ID``: taken from the request when it is acceptable (1-128 characters of
  ``A-Z a-z 0-9 . _ : / + = -``; no ``@``: an e-mail is personal data), made otherwise (32 hex
  digits); sent back on every response (asgi-correlation-id), bound in
  :mod:`frequenta_kit.request_ids` for the logs and the gRPC metadata (``x-request-id``,
  :mod:`frequenta_kit.grpc_channels`).
- ``GET /metrics``: requests by route template, method and status
  (``frequenta_gateway_http_requests_total``), latency histograms
  (``frequenta_gateway_http_request_duration_seconds``), sizes, and the process's gRPC client
  series (``frequenta_grpc_client_calls_total`` by code: the services' errors). Public, left out
  of the OpenAPI document: the monitoring system scrapes it. The route template is the one the
  router matched, read once the request is answered (:class:`_RouteOfScope`), not matched a
  second time against every route, as the instrumentator's middleware does before the request.
"""

import functools
import uuid
from collections.abc import Callable

from asgi_correlation_id import CorrelationIdMiddleware
from asgi_correlation_id.context import correlation_id
from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_fastapi_instrumentator import metrics
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from frequenta_gateway.auth.policies import public
from frequenta_kit import request_ids
from frequenta_kit.metrics import PROCESS

METRICS_PATH = "/metrics"


class _BindRequestId:
    """Copies the request id asgi-correlation-id chose into the project's context variable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            request_ids.set_current(correlation_id.get())  # each request runs in its own task
        await self.app(scope, receive, send)


def install_request_ids(app: FastAPI) -> None:
    app.add_middleware(_BindRequestId)
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=request_ids.HEADER,
        generator=lambda: uuid.uuid4().hex,
        validator=request_ids.acceptable,
    )


@functools.cache
def _http_metrics() -> Callable[[metrics.Info], None] | None:
    """The instrumentator's default series, made once per process: a second app (tests make
    many) records into the same ones instead of getting none."""
    return metrics.default(metric_namespace="frequenta", metric_subsystem="gateway")


class _RouteOfScope:
    """The ``handler`` label: the template of the route the router matched (``scope["route"]``,
    which it sets while routing, a partial match's for a 405), "none" when no route matched
    (untemplated paths grouped, as the instrumentator was set to). Read as ``str`` when the
    series are recorded, after the request; the metrics only ever use it as a label value."""

    __slots__ = ("scope",)

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def __str__(self) -> str:
        return getattr(self.scope.get("route"), "path", None) or "none"


class _TemplateAfterRouting(PrometheusInstrumentatorMiddleware):
    """The instrumentator's middleware but for the route template: its own ``_get_handler``
    matches the path against every route of the app before the request, a second time, about
    a twelfth of a cached read's CPU (docs/http-load.md). The routers are included without a
    prefix, so a route's path is its full template (tests/unit/gateway compares the labels
    with the instrumentator's own matching)."""

    def _get_handler(self, request: Request) -> tuple[str, bool]:
        return _RouteOfScope(request.scope), True  # type: ignore[return-value]


def install_metrics(app: FastAPI) -> None:
    PROCESS.info({"kind": "gateway"})
    series = _http_metrics()
    app.add_middleware(
        _TemplateAfterRouting,
        should_group_status_codes=False,
        should_ignore_untemplated=False,
        should_group_untemplated=True,
        instrumentations=[series] if series is not None else [],
    )
    # Public, like the probes: a scraper carries no token (README, "Authentication and roles").
    app.add_api_route(
        METRICS_PATH,
        _metrics_text,
        methods=["GET"],
        include_in_schema=False,
        dependencies=[public()],
    )


async def _metrics_text() -> Response:
    """The Prometheus text of the process's registry (async: no thread hop, unlike the
    instrumentator's own ``expose``; tests/unit/gateway/test_dependencies.py)."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def install_observability(app: FastAPI) -> None:
    """Metrics innermost, the request id outermost (so every response carries it)."""
    install_metrics(app)
    install_request_ids(app)
