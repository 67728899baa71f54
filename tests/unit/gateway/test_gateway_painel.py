"""The retention workspace (/painel): its login refuses turnstile accounts on the server, its
pages are data-free shells in Portuguese that load only the gateway's own scripts, and its
static files are served."""

import pytest
from gateway_fakes import rpc_error
from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway.auth import tokens
from frequenta_gateway.auth.principal import Principal, Role
from frequenta_kit.errors import Unauthenticated

CREATED = Timestamp(seconds=1_800_000_000)


def user(role: int, member_id: int = 0) -> pb.AuthenticateResponse:
    return pb.AuthenticateResponse(
        user=pb.User(
            id=9, login="quem", role=role, member_id=member_id, active=True, created_at=CREATED
        )
    )


@pytest.mark.parametrize(
    ("role", "member_id", "papel"),
    [
        (pb.USER_ROLE_ADMIN, 0, Role.ADMIN),
        (pb.USER_ROLE_STAFF, 0, Role.EQUIPE),
        (pb.USER_ROLE_MEMBER, 42, Role.ALUNO),
    ],
)
async def test_staff_and_members_get_a_token(anonymous, users, settings, role, member_id, papel):
    users.answer("Authenticate", user(role, member_id))
    response = await anonymous.post("/painel/sessao", json={"login": "quem", "senha": "s3nh@"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["papel"], body["aluno_id"]) == (papel, member_id or None)
    assert tokens.decode(settings, body["access_token"]) == Principal(
        "quem", papel, member_id or None
    )
    assert response.headers["Cache-Control"] == "no-store"
    (request,) = users.requests("Authenticate")
    assert (request.login, request.password) == ("quem", "s3nh@")


async def test_a_turnstile_account_cannot_open_a_session(anonymous, users):
    users.answer("Authenticate", user(pb.USER_ROLE_TURNSTILE))
    response = await anonymous.post("/painel/sessao", json={"login": "quem", "senha": "s3nh@"})
    assert response.status_code == 403, response.text
    erro = response.json()["erro"]
    assert erro["codigo"] == "FORBIDDEN"
    assert "catraca" in erro["mensagem"]
    assert "access_token" not in response.text


async def test_wrong_credentials_are_401(anonymous, users):
    users.answer("Authenticate", rpc_error(Unauthenticated("INVALID_CREDENTIALS", "wrong")))
    response = await anonymous.post("/painel/sessao", json={"login": "quem", "senha": "errada"})
    assert response.status_code == 401
    assert response.json()["erro"]["codigo"] == "INVALID_CREDENTIALS"


async def test_a_session_without_credentials_is_422(anonymous, users):
    response = await anonymous.post("/painel/sessao", json={"login": "quem"})
    assert response.status_code == 422
    assert "senha" in [d["campo"] for d in response.json()["erro"]["detalhes"]]
    assert users.calls == []


PAGES = ["/painel/login", "/painel/risco", "/painel/alertas", "/painel/relatorios"]
PAGES += ["/painel/resultados", "/painel/modelo", "/painel/aluno/42"]


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_is_a_shell_in_portuguese_with_its_own_script(anonymous, path, attendance):
    response = await anonymous.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="pt-BR">' in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = path.split("/")[2]
    assert f'data-pagina="{page}"' in response.text
    assert f"/painel/static/{page}.js" in response.text
    assert attendance.calls == []  # a shell: the data comes from the API, with the user's token


async def test_the_member_page_names_its_member(anonymous):
    response = await anonymous.get("/painel/aluno/42")
    assert 'data-aluno="42"' in response.text
    assert (await anonymous.get("/painel/aluno/abc")).status_code == 404


async def test_the_home_sends_staff_to_the_at_risk_list(anonymous):
    response = await anonymous.get("/painel")
    assert (response.status_code, response.headers["location"]) == (302, "/painel/risco")


@pytest.mark.parametrize("name", ["painel.js", "painel.css", "risco.js", "aluno.js"])
async def test_the_static_files_are_served(anonymous, name):
    response = await anonymous.get(f"/painel/static/{name}")
    assert response.status_code == 200
    assert len(response.content) > 100


def test_the_pages_are_out_of_the_openapi_but_the_login_is_in(app):
    paths = app.openapi()["paths"]
    assert "post" in paths["/painel/sessao"]
    assert not [path for path in paths if path.startswith("/painel/") and path != "/painel/sessao"]
