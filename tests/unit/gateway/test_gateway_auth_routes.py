"""POST /auth/token (form and JSON) and /usuarios against a fake UserService; bad tokens
through the API."""

import time

import jwt
import pytest
from gateway_fakes import bearer, rpc_error
from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway.auth import tokens
from frequenta_gateway.auth.principal import Principal, Role
from frequenta_kit.errors import AlreadyExists, Unauthenticated

CREATED = Timestamp(seconds=1_800_000_000)
MEMBER_USER = pb.User(
    id=3, login="Ana", role=pb.USER_ROLE_MEMBER, member_id=42, active=True, created_at=CREATED
)


@pytest.mark.parametrize(
    ("kwargs", "sent"),
    [
        ({"data": {"username": "Ana", "password": "s3nh@-longa"}}, "form"),
        (
            {"data": {"grant_type": "password", "username": "Ana", "password": "s3nh@-longa"}},
            "form",
        ),
        ({"json": {"login": "Ana", "senha": "s3nh@-longa"}}, "json"),
    ],
)
async def test_a_token_for_the_right_password(anonymous, users, settings, kwargs, sent):
    users.answer("Authenticate", pb.AuthenticateResponse(user=MEMBER_USER))
    response = await anonymous.post("/auth/token", **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["token_type"], body["expires_in"], body["papel"], body["aluno_id"]) == (
        "bearer",
        settings.jwt_ttl_seconds,
        "aluno",
        42,
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert tokens.decode(settings, body["access_token"]) == Principal("Ana", Role.ALUNO, 42)
    (request,) = users.requests("Authenticate")
    assert (request.login, request.password) == ("Ana", "s3nh@-longa")


async def test_the_token_opens_the_routes_of_its_role(anonymous, users, attendance, settings):
    users.answer("Authenticate", pb.AuthenticateResponse(user=MEMBER_USER))
    token = (await anonymous.post("/auth/token", json={"login": "Ana", "senha": "x"})).json()
    attendance.answer("ListPlans", pb.ListPlansResponse())
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await anonymous.get("/planos", headers=headers)).status_code == 200
    assert (await anonymous.get("/alunos", headers=headers)).status_code == 403


async def test_wrong_credentials_are_401_without_saying_which(anonymous, users):
    users.answer("Authenticate", rpc_error(Unauthenticated("INVALID_CREDENTIALS", "wrong")))
    response = await anonymous.post("/auth/token", data={"username": "x", "password": "y"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["erro"] == {
        "codigo": "INVALID_CREDENTIALS",
        "mensagem": "Wrong login or password.",
        "detalhes": [],
    }


@pytest.mark.parametrize(
    ("kwargs", "status", "campo"),
    [
        ({"json": {"login": "x"}}, 422, "senha"),
        ({"json": {"login": "x", "senha": "y", "extra": 1}}, 422, "extra"),
        ({"data": {"username": "x"}}, 422, "password"),
        (
            {"data": {"grant_type": "client_credentials", "username": "x", "password": "y"}},
            422,
            "grant_type",
        ),
        ({"content": b"x", "headers": {"Content-Type": "text/plain"}}, 415, None),
    ],
)
async def test_malformed_token_requests(anonymous, users, kwargs, status, campo):
    response = await anonymous.post("/auth/token", **kwargs)
    assert response.status_code == status, response.text
    if campo:
        assert campo in [d["campo"] for d in response.json()["erro"]["detalhes"]]
    assert users.calls == []


async def test_an_expired_token_is_401_token_expired(anonymous, settings):
    now = time.time() - 3600
    token = tokens.issue(settings, Principal("ana", Role.EQUIPE), now=now).access_token
    response = await anonymous.get("/alunos", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["erro"]["codigo"] == "TOKEN_EXPIRED"
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_a_token_signed_with_another_key_is_401_invalid_token(anonymous, settings):
    claims = {
        "sub": "x",
        "papel": "admin",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode(claims, "another-key-that-is-long-enough-for-hs256!", algorithm="HS256")
    response = await anonymous.get("/usuarios", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["erro"]["codigo"] == "INVALID_TOKEN"


async def test_a_non_bearer_authorization_is_401(anonymous):
    response = await anonymous.get("/alunos", headers={"Authorization": "Basic YTpi"})
    assert response.status_code == 401
    assert response.json()["erro"]["codigo"] == "UNAUTHENTICATED"


async def test_create_a_member_user(client, users):
    users.answer("CreateUser", pb.CreateUserResponse(user=MEMBER_USER))
    body = {"login": "Ana", "senha": "s3nh@-longa", "papel": "aluno", "aluno_id": 42}
    response = await client.post("/usuarios", json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "id": 3,
        "login": "Ana",
        "papel": "aluno",
        "aluno_id": 42,
        "ativo": True,
        "criado_em": "2027-01-15T08:00:00Z",
    }
    (request,) = users.requests("CreateUser")
    assert (request.login, request.password, request.role, request.member_id) == (
        "Ana",
        "s3nh@-longa",
        pb.USER_ROLE_MEMBER,
        42,
    )
    assert "senha" not in response.text


async def test_a_taken_login_is_409(client, users):
    users.answer(
        "CreateUser", rpc_error(AlreadyExists("LOGIN_ALREADY_EXISTS", "taken", field="login"))
    )
    body = {"login": "ana", "senha": "s3nh@-longa", "papel": "equipe"}
    response = await client.post("/usuarios", json=body)
    assert response.status_code == 409
    assert response.json()["erro"]["codigo"] == "LOGIN_ALREADY_EXISTS"


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        ({"login": "a b c", "senha": "s3nh@-longa", "papel": "equipe"}, "login"),
        ({"login": "ana", "senha": "curta", "papel": "equipe"}, "senha"),
        ({"login": "ana", "senha": "s3nh@-longa", "papel": "root"}, "papel"),
    ],
)
async def test_invalid_users_are_422(client, users, body, campo):
    response = await client.post("/usuarios", json=body)
    assert response.status_code == 422
    assert response.json()["erro"]["detalhes"][0]["campo"] == campo
    assert users.calls == []


async def test_list_and_disable_users(client, users):
    disabled = pb.User(id=3, login="Ana", role=pb.USER_ROLE_TURNSTILE, created_at=CREATED)
    users.answer("ListUsers", pb.ListUsersResponse(users=[MEMBER_USER]))
    users.answer("DisableUser", pb.DisableUserResponse(user=disabled))
    listed = await client.get("/usuarios", params={"incluir_inativos": "true"})
    assert [u["login"] for u in listed.json()] == ["Ana"]
    assert users.requests("ListUsers")[0].include_inactive
    response = await client.post("/usuarios/3/desativacao")
    assert response.json()["ativo"] is False and response.json()["papel"] == "catraca"
    assert users.requests("DisableUser")[0].user_id == 3


async def test_staff_may_not_manage_users(anonymous, settings, users):
    response = await anonymous.get("/usuarios", headers=bearer(settings, Role.EQUIPE))
    assert response.status_code == 403
    assert users.calls == []
