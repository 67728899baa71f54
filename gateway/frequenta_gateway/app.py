"""The FastAPI application: routers, the error layer, and the gRPC channels' lifetime."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from frequenta_gateway.auth import routes as auth
from frequenta_gateway.auth import tokens
from frequenta_gateway.auth.policies import document_policies
from frequenta_gateway.body_limits import install_body_limits
from frequenta_gateway.cache import ResponseCache
from frequenta_gateway.cache.hits import install_cached_hits
from frequenta_gateway.cache.policy import FREQUENCIA, RISCO
from frequenta_gateway.clients import Backends
from frequenta_gateway.errors import install_error_handlers
from frequenta_gateway.observability import install_observability
from frequenta_gateway.painel import routes as painel
from frequenta_gateway.rate_limits import RateLimiter
from frequenta_gateway.routes import (
    alerts,
    attendance,
    batches,
    churn,
    health,
    members,
    model,
    plans,
    reports,
    retention,
    retention_reports,
    visits,
)
from frequenta_gateway.settings import GatewaySettings

DESCRIPTION = """
REST API of **Frequenta**: gym members, plans, check-ins and check-outs, attendance history and
the churn risk of each member. The gateway validates and maps requests to the attendance and
churn gRPC services.

* Instants are ISO-8601 **with an offset** (`2025-03-10T07:15:00-03:00`); one without is refused
  with 422 `TIMESTAMP_WITHOUT_TIMEZONE`. Local dates (`YYYY-MM-DD`) are those of the gym.
* Every error has one shape,
  `{"erro": {"codigo", "mensagem", "detalhes": [{"campo", "mensagem"}]}}`, where `codigo` is a
  stable machine code (`MEMBER_NOT_FOUND`, `VALIDATION_ERROR`, `NO_MODEL`...).
* Request bodies refuse unknown fields, so a misspelt field is reported, not ignored.
* Every route but the probes and `POST /auth/token` needs `Authorization: Bearer <token>`, a
  token from `POST /auth/token` (Swagger UI: the **Authorize** button, with a login and password).
  Each route says which roles (`admin`, `equipe`, `aluno`, `catraca`) it answers under
  **Access**. No token or a bad one: 401 (`UNAUTHENTICATED`, `INVALID_TOKEN`, `TOKEN_EXPIRED`);
  a role the route does not allow: 403 `FORBIDDEN`. A member (`aluno`) reads only their own id;
  any other id answers exactly as an unknown one (404 `MEMBER_NOT_FOUND`).
"""

TAGS = [
    {"name": "alunos", "description": "Members: registration, lookup, listing, cancellation."},
    {"name": "checkins", "description": "Entries and exits (idempotent on a client key)."},
    {
        "name": "importacoes",
        "description": "Bulk check-in imports (JSON or CSV, up to 100,000 rows): accepted at once "
        "with 202 and a job, processed in the background; poll the job for counts and reasons.",
    },
    {"name": "frequencia", "description": "Attendance history and summary of a member."},
    {"name": "risco", "description": "Churn risk of a member and the factors behind it."},
    {
        "name": "modelo",
        "description": "The churn model: the serving version and its metrics, the registered "
        "versions, promotion (only when it beats the serving one on the same hold-out, unless "
        "forced), rollback, retraining requests and their jobs.",
    },
    {
        "name": "relatorios",
        "description": "Daily attendance reports: built by a queue job (nightly, or on demand), "
        "read as JSON or CSV; weekly trend, cohort retention and monthly attrition.",
    },
    {
        "name": "alertas",
        "description": "Alerts on members' attendance (new members who do not come, staged "
        "inactivity), computed when read and closed by the next check-in; their thresholds.",
    },
    {"name": "planos", "description": "Membership plans."},
    {"name": "saude", "description": "Liveness and readiness probes."},
    {"name": "autenticacao", "description": "Access tokens (JWT) from a login and password."},
    {"name": "usuarios", "description": "Users of the API and their roles (admins only)."},
    {
        "name": "painel",
        "description": "The retention workspace's web pages under `/painel` (docs/painel.md): "
        "its login; the pages read everything else from the routes above.",
    },
]


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backends = Backends.open(settings)
        app.state.backends = backends
        app.state.cache = ResponseCache.open(settings)
        try:
            yield
        finally:
            await app.state.cache.close()
            await backends.close(grace=settings.shutdown_grace_seconds)
            if app.state.rate_limiter is not None:
                await app.state.rate_limiter.close()

    app = FastAPI(
        title="Frequenta API",
        version="1.0.0",
        summary="Gym attendance and churn risk.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.tokens = tokens.Verifier(settings)  # the routes' token checks
    app.state.cache = ResponseCache.off(settings)  # until the lifespan connects it to Redis
    app.state.rate_limiter = RateLimiter.of(settings) if settings.rate_limits_enabled else None
    install_error_handlers(app, retry_after=settings.retry_after_seconds)
    install_body_limits(app, settings)
    for module in (
        members,
        visits,
        batches,
        attendance,
        churn,
        retention,
        model,
        reports,
        retention_reports,
        alerts,
        plans,
        health,
        auth,
        painel,
    ):
        document_policies(module.router)
        app.include_router(module.router)
    app.mount(painel.STATIC_PATH, painel.static_files(), name="painel-static")
    install_cached_hits(
        app,
        [(attendance.router, attendance.PATH, FREQUENCIA), (churn.router, churn.RISK_PATH, RISCO)],
    )
    install_observability(app)  # X-Request-ID on every request and response; GET /metrics
    return app
