"""Who may call what: every route of the app (read from the app itself, so a route added later
without an entry here, or without a policy, fails) for every role and without a token.

Allowed means the policy let the request through: any answer but 401 and 403 (the fake stubs
answer nothing, so what follows may be a 422 or a 500); refused means 401 without a token, 403
with a role the route does not allow, and no call reached a service. A member (aluno) reaches
the member routes for their own id only; another id gets the answer of an unknown id."""

import uuid

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from gateway_fakes import bearer, rpc_error

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance.domain.errors import member_not_found
from frequenta_gateway.app import create_app
from frequenta_gateway.auth.policies import PolicyFirstRoute, PublicPolicy, policies_of
from frequenta_gateway.auth.principal import Role
from frequenta_gateway.settings import GatewaySettings

ADMIN, EQUIPE, ALUNO, CATRACA = "admin", "equipe", "aluno", "catraca"
OWN = "aluno, own id"
STAFF = {ADMIN, EQUIPE}
PUBLIC = {"anonymous", ADMIN, EQUIPE, ALUNO, CATRACA}

# (method, path as declared) -> who gets in. The one table of the README's "Authentication and
# roles", checked here against the app.
MATRIX: dict[tuple[str, str], set[str]] = {
    ("POST", "/aluno/registro"): STAFF,
    ("GET", "/aluno/{id:int}"): STAFF | {OWN},
    ("GET", "/alunos"): STAFF,
    ("POST", "/aluno/{id:int}/cancelamento"): STAFF,
    ("DELETE", "/aluno/{id:int}/dados-pessoais"): {ADMIN},
    ("POST", "/aluno/checkin"): STAFF | {CATRACA},
    ("POST", "/aluno/checkout"): STAFF | {CATRACA},
    ("POST", "/aluno/checkins/lote"): STAFF | {CATRACA},
    ("GET", "/aluno/checkins/lote/{job_id}"): STAFF | {CATRACA},
    ("GET", "/aluno/{id:int}/frequencia"): STAFF | {OWN},
    ("GET", "/aluno/{id:int}/risco-churn"): STAFF | {OWN},
    ("GET", "/alunos/risco"): STAFF,
    ("GET", "/aluno/{id:int}/risco-historico"): STAFF | {OWN},
    ("POST", "/aluno/{id:int}/contatos"): STAFF,
    ("GET", "/aluno/{id:int}/contatos"): STAFF,
    ("GET", "/retencao/efeito"): STAFF,
    ("GET", "/modelo"): STAFF,
    ("GET", "/modelo/versoes"): STAFF,
    ("POST", "/modelo/versoes/{versao}/promover"): {ADMIN},
    ("POST", "/modelo/rollback"): {ADMIN},
    ("POST", "/modelo/retreino"): {ADMIN},
    ("GET", "/modelo/retreino/{job_id}"): {ADMIN},
    ("POST", "/relatorios/diarios"): STAFF,
    ("GET", "/relatorios/diarios/{data}"): STAFF,
    ("GET", "/relatorios/diarios"): STAFF,
    ("GET", "/relatorios/coortes"): STAFF,
    ("GET", "/relatorios/atrito"): STAFF,
    ("GET", "/relatorios/tendencia"): STAFF,
    ("GET", "/alertas"): STAFF,
    ("GET", "/aluno/{id:int}/alertas"): STAFF | {OWN},
    ("GET", "/alertas/limites"): STAFF,
    ("PUT", "/alertas/limites"): STAFF,
    ("GET", "/planos"): STAFF | {ALUNO},
    ("POST", "/planos"): {ADMIN},
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/auth/token"): PUBLIC,
    ("POST", "/usuarios"): {ADMIN},
    ("GET", "/usuarios"): {ADMIN},
    ("POST", "/usuarios/{id:int}/desativacao"): {ADMIN},
    # The retention workspace: its login (catraca gets in here, then a 403 of the login itself)
    # and its pages, data-free shells whose scripts call the routes above with the user's token.
    ("POST", "/painel/sessao"): PUBLIC,
    ("GET", "/painel"): PUBLIC,
    ("GET", "/painel/login"): PUBLIC,
    ("GET", "/painel/risco"): PUBLIC,
    ("GET", "/painel/aluno/{id:int}"): PUBLIC,
    ("GET", "/painel/alertas"): PUBLIC,
    ("GET", "/painel/relatorios"): PUBLIC,
    ("GET", "/painel/resultados"): PUBLIC,
    ("GET", "/painel/modelo"): PUBLIC,
}
# Routes FastAPI itself serves (the OpenAPI document, Swagger UI, ReDoc): public.
FRAMEWORK_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# Static files (the retention workspace's scripts and styles): public, no data.
STATIC_MOUNTS = {"/painel/static"}

OWN_ID, OTHER_ID = 7, 8
CALLERS = ["anonymous", ADMIN, EQUIPE, ALUNO, CATRACA]


def declared_routes() -> dict[tuple[str, str], APIRoute]:
    app = create_app(GatewaySettings(_env_file=None))
    routes: dict[tuple[str, str], APIRoute] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            assert context.path in FRAMEWORK_ROUTES | STATIC_MOUNTS, f"{context.path}: no policy"
            continue
        for method in route.methods:
            routes[(method, route.path)] = route
    return routes


ROUTES = declared_routes()


def concrete(path: str, member_id: int = OWN_ID) -> str:
    return (
        path.replace("{id:int}", str(member_id))
        .replace("{job_id}", str(uuid.uuid4()))
        .replace("{versao}", "v1")
        .replace("{data}", "2026-01-01")
    )


def test_every_route_is_in_the_matrix_and_declares_exactly_one_policy():
    assert set(ROUTES) == set(MATRIX), "routes and the access matrix differ"
    for key, route in ROUTES.items():
        policies = policies_of(route)
        assert len(policies) == 1, f"{key} declares {len(policies)} policies"
        assert isinstance(policies[0], PublicPolicy) == (MATRIX[key] == PUBLIC), key
        if not isinstance(policies[0], PublicPolicy):
            assert isinstance(route, PolicyFirstRoute), f"{key}: its router needs PolicyFirstRoute"


@pytest.mark.parametrize(
    ("method", "path"), sorted(key for key in MATRIX if key[0] == "POST" and MATRIX[key] != PUBLIC)
)
async def test_the_token_is_checked_before_the_body(anonymous, settings, method, path):
    """Without a token, or with a role the route refuses, a malformed body changes nothing."""
    malformed = {"content": b"{not json", "headers": {"content-type": "application/json"}}
    response = await anonymous.request(method, concrete(path), **malformed)
    assert response.status_code == 401, response.text
    headers = {**malformed["headers"], **bearer(settings, Role.CATRACA)}
    if CATRACA not in MATRIX[(method, path)]:
        response = await anonymous.request(method, concrete(path), content=b"{", headers=headers)
        assert response.status_code == 403, response.text


def test_the_openapi_names_the_roles_of_every_route(app):
    paths = app.openapi()["paths"]
    for (method, path), allowed in MATRIX.items():
        if not ROUTES[(method, path)].include_in_schema:
            continue  # /metrics
        operation = paths[path.replace(":int", "")][method.lower()]
        assert "**Access:**" in operation["description"], (method, path)
        if allowed == PUBLIC:
            assert "security" not in operation, (method, path)
        else:
            assert operation["security"] == [{"login": []}, {"bearer": []}]
            assert {"401", "403"} <= set(operation["responses"])
            for role in allowed - {OWN}:
                assert role in operation["x-papeis"], (method, path, role)


def _headers(settings: GatewaySettings, caller: str) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    return bearer(settings, Role(caller), OWN_ID if caller == ALUNO else None)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
async def test_each_caller_gets_exactly_what_the_matrix_says(
    anonymous, settings, attendance, churn, users, health, caller, method, path
):
    allowed = MATRIX[(method, path)]
    response = await anonymous.request(method, concrete(path), headers=_headers(settings, caller))
    calls = [*attendance.calls, *churn.calls, *users.calls]
    calls += [call for stub in health.values() for call in stub.calls]
    if caller in allowed or (caller == ALUNO and OWN in allowed):
        assert response.status_code not in (401, 403), response.text
    elif caller == "anonymous":
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["erro"]["codigo"] == "UNAUTHENTICATED"
        assert calls == []
    else:
        assert response.status_code == 403, response.text
        assert response.json()["erro"]["codigo"] == "FORBIDDEN"
        assert caller in response.json()["erro"]["mensagem"]
        assert calls == []


OWN_ROUTES = sorted(key for key, allowed in MATRIX.items() if OWN in allowed)


@pytest.mark.parametrize(("method", "path"), OWN_ROUTES)
async def test_a_member_asking_for_another_member_gets_the_answer_of_an_unknown_id(
    client, anonymous, settings, attendance, churn, method, path
):
    """The 404 a member gets for someone else's id is, byte for byte, the one anybody gets
    for an id that does not exist (attendance's MEMBER_NOT_FOUND through the error layer)."""
    missing = rpc_error(member_not_found(OTHER_ID))
    for rpc in ("GetMember", "GetAttendance", "ListMemberAlerts"):
        attendance.answer(rpc, missing)
    churn.answer("GetChurnRisk", missing)
    unknown = await client.request(method, concrete(path, OTHER_ID))
    calls_before = len(attendance.calls) + len(churn.calls)
    other = await anonymous.request(
        method, concrete(path, OTHER_ID), headers=bearer(settings, Role.ALUNO, OWN_ID)
    )
    assert unknown.status_code == 404
    assert (other.status_code, other.content) == (unknown.status_code, unknown.content)
    per_request = {"x-request-id"}
    assert {k: v for k, v in other.headers.items() if k not in per_request} == {
        k: v for k, v in unknown.headers.items() if k not in per_request
    }
    assert len(attendance.calls) + len(churn.calls) == calls_before  # nothing was asked


async def test_the_principal_is_stored_on_the_request(app, anonymous, settings, attendance):
    seen = []

    @app.middleware("http")
    async def remember(request, call_next):
        response = await call_next(request)
        seen.append(getattr(request.state, "principal", None))
        return response

    attendance.answer("ListPlans", pb.ListPlansResponse())
    response = await anonymous.get("/planos", headers=bearer(settings, Role.ALUNO, OWN_ID))
    assert response.status_code == 200
    assert [(p.login, p.papel, p.aluno_id) for p in seen] == [("test-aluno", Role.ALUNO, OWN_ID)]
