"""Authentication and roles against the real processes: the first admin (from the stack's
settings) creates a user of each role, each logs in at POST /auth/token, and the key cells of
the access matrix hold; a member reading another member gets exactly the answer of an unknown
id; bad, tampered and disabled credentials get 401."""

import base64
import json
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from e2e_stack import ROOT, Stack
from e2e_support import ago, assert_error

pytestmark = pytest.mark.e2e

PASSWORD = "uma senha bem longa"
UNKNOWN_ID = 9_000_000_000


def login_name(role: str) -> str:
    return f"{role}.{uuid.uuid4().hex[:8]}"


def create_user(api: httpx.Client, papel: str, **fields: Any) -> dict[str, Any]:
    body = {"login": login_name(papel), "senha": PASSWORD, "papel": papel, **fields}
    response = api.post("/usuarios", json=body)
    assert response.status_code == 201, response.text
    assert "senha" not in response.json()
    return response.json()


def token_of(base_url: str, login: str, password: str = PASSWORD) -> str:
    response = httpx.post(
        f"{base_url}/auth/token", data={"username": login, "password": password}, timeout=15
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture(scope="module")
def people(api: httpx.Client, running_stack: Stack, plan) -> dict[str, Any]:
    """Two members (Ana has a user of role aluno, Bia not) and a client per role."""

    def member(name: str) -> dict[str, Any]:
        body = {
            "nome": name,
            "email": f"{uuid.uuid4().hex[:10]}@example.com",
            "plano_id": plan["id"],
            "data_matricula": ago(days=60),
        }
        response = api.post("/aluno/registro", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    ana, bia = member("Ana Auth"), member("Bia Auth")
    users = {
        "equipe": create_user(api, "equipe"),
        "catraca": create_user(api, "catraca"),
        "aluno": create_user(api, "aluno", aluno_id=ana["id"]),
    }
    clients = {
        role: httpx.Client(
            base_url=running_stack.base_url,
            timeout=15,
            headers={"Authorization": f"Bearer {token_of(running_stack.base_url, user['login'])}"},
        )
        for role, user in users.items()
    }
    clients["anonymous"] = httpx.Client(base_url=running_stack.base_url, timeout=15)
    yield {"ana": ana, "bia": bia, "users": users, **clients}
    for client in clients.values():
        client.close()


def test_without_a_token_only_the_public_routes_answer(people):
    anonymous = people["anonymous"]
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/openapi.json").status_code == 200
    for method, path in [("GET", "/alunos"), ("GET", "/planos"), ("POST", "/aluno/checkin")]:
        response = anonymous.request(method, path)
        assert_error(response, 401, "UNAUTHENTICATED")
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_wrong_passwords_and_unknown_logins_get_the_same_401(running_stack: Stack, people):
    answers = []
    for login, password in [(people["users"]["equipe"]["login"], "wrong"), ("nobody", "x")]:
        response = httpx.post(
            f"{running_stack.base_url}/auth/token",
            json={"login": login, "senha": password},
            timeout=15,
        )
        assert_error(response, 401, "INVALID_CREDENTIALS")
        answers.append(response.json())
    assert answers[0] == answers[1]


def test_staff_run_the_desk_but_not_the_admin_routes(people):
    equipe, ana = people["equipe"], people["ana"]
    assert equipe.get("/alunos", params={"q": "Auth"}).status_code == 200
    assert equipe.get(f"/aluno/{ana['id']}").status_code == 200
    assert equipe.get("/modelo/versoes").status_code == 200
    assert equipe.get("/planos").status_code == 200
    visit = equipe.post(
        "/aluno/checkin",
        json={
            "aluno_id": ana["id"],
            "data_entrada": ago(days=3),
            "data_saida": ago(days=3, minutes=-50),
        },
    )
    assert visit.status_code == 201, visit.text
    plan = {
        "codigo": f"x-{uuid.uuid4().hex[:6]}",
        "nome": "Plano X",
        "duracao_meses": 1,
        "preco": 10,
    }
    assert_error(equipe.post("/planos", json=plan), 403, "FORBIDDEN")
    assert_error(equipe.get("/usuarios"), 403, "FORBIDDEN")
    assert_error(equipe.post("/modelo/rollback"), 403, "FORBIDDEN")


def test_a_turnstile_records_entries_and_exits_only(people):
    catraca, bia = people["catraca"], people["bia"]
    entered = catraca.post("/aluno/checkin", json={"aluno_id": bia["id"], "origem": "catraca"})
    assert entered.status_code == 201, entered.text
    left = catraca.post("/aluno/checkout", json={"aluno_id": bia["id"]})
    assert left.status_code == 200, left.text
    assert_error(catraca.get(f"/aluno/{bia['id']}"), 403, "FORBIDDEN")
    assert_error(catraca.get(f"/aluno/{bia['id']}/frequencia"), 403, "FORBIDDEN")
    assert_error(catraca.get("/alunos"), 403, "FORBIDDEN")
    assert_error(catraca.get("/planos"), 403, "FORBIDDEN")


def test_a_member_reads_their_own_data_only(people):
    aluno, ana = people["aluno"], people["ana"]
    own = aluno.get(f"/aluno/{ana['id']}")
    assert own.status_code == 200 and own.json()["email"] == ana["email"]
    assert aluno.get(f"/aluno/{ana['id']}/frequencia").status_code == 200
    risk = aluno.get(f"/aluno/{ana['id']}/risco-churn")  # 200, or 503 NO_MODEL: not refused
    assert risk.status_code not in (401, 403, 404), risk.text
    assert aluno.get("/planos").status_code == 200
    assert_error(aluno.post("/aluno/checkin", json={"aluno_id": ana["id"]}), 403, "FORBIDDEN")
    assert_error(aluno.get("/alunos"), 403, "FORBIDDEN")
    assert_error(aluno.get("/alunos/risco"), 403, "FORBIDDEN")


@pytest.mark.parametrize("suffix", ["", "/frequencia", "/risco-churn"])
def test_another_members_id_answers_as_an_unknown_id(api, people, suffix):
    """Ana (aluno) asking for Bia, who exists, gets what an admin gets for an id that does not
    exist, word for word but the id itself."""
    bia = people["bia"]["id"]
    other = people["aluno"].get(f"/aluno/{bia}{suffix}")
    unknown = api.get(f"/aluno/{UNKNOWN_ID}{suffix}")
    assert_error(unknown, 404, "MEMBER_NOT_FOUND")
    assert other.status_code == unknown.status_code
    assert other.text.replace(str(bia), "<id>") == unknown.text.replace(str(UNKNOWN_ID), "<id>")
    assert other.headers["content-type"] == unknown.headers["content-type"]


def _forged(token: str, **claims: Any) -> str:
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.update(claims)
    raw = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{header}.{raw}.{signature}"


def test_a_tampered_role_or_an_unsigned_token_is_401(running_stack: Stack, people):
    token = token_of(running_stack.base_url, people["users"]["catraca"]["login"])
    anonymous = people["anonymous"]
    for forged in (_forged(token, papel="admin"), token.rsplit(".", 1)[0] + "."):
        response = anonymous.get("/usuarios", headers={"Authorization": f"Bearer {forged}"})
        assert_error(response, 401, "INVALID_TOKEN")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_disabled_user_can_no_longer_log_in(api, running_stack: Stack):
    user = create_user(api, "equipe")
    token_of(running_stack.base_url, user["login"])
    disabled = api.post(f"/usuarios/{user['id']}/desativacao")
    assert disabled.status_code == 200 and disabled.json()["ativo"] is False
    response = httpx.post(
        f"{running_stack.base_url}/auth/token",
        data={"username": user["login"], "password": PASSWORD},
        timeout=15,
    )
    assert_error(response, 401, "INVALID_CREDENTIALS")
    listed = api.get("/usuarios", params={"incluir_inativos": "true"}).json()
    assert {"id": user["id"], "ativo": False} in [
        {"id": u["id"], "ativo": u["ativo"]} for u in listed
    ]


def create_staff_user(stack: Stack, login: str) -> subprocess.CompletedProcess[str]:
    """``python -m frequenta_gateway users create`` for a staff user, password on stdin."""
    command = [sys.executable, "-m", "frequenta_gateway", "users", "create"]
    command += ["--login", login, "--papel", "equipe", "--password-stdin"]
    return subprocess.run(
        command,
        input=f"{PASSWORD}\n",
        env=stack.launcher.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_admin_command_creates_a_user_who_can_log_in(running_stack: Stack):
    login = login_name("cli")
    created = create_staff_user(running_stack, login)
    assert created.returncode == 0, created.stderr
    assert f'"login":"{login}"' in created.stdout
    token_of(running_stack.base_url, login)
    again = create_staff_user(running_stack, login.upper())
    assert again.returncode == 1
    assert "LOGIN_ALREADY_EXISTS" in again.stderr


def test_make_token_prints_a_token_of_the_first_admin(running_stack: Stack):
    """`make token` (python -m frequenta_sim token): the credentials attendance was started
    with, read the way the seeder and the benches read them."""
    printed = subprocess.run(
        [sys.executable, "-m", "frequenta_sim", "token", "--api", running_stack.base_url],
        env=running_stack.launcher.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    token = printed.stdout.strip()
    response = httpx.get(
        f"{running_stack.base_url}/usuarios",
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert response.status_code == 200, response.text
    wrong = dict(running_stack.launcher.env, FREQUENTA_ADMIN_PASSWORD="not the password")
    refused = subprocess.run(
        [sys.executable, "-m", "frequenta_sim", "token", "--api", running_stack.base_url],
        env=wrong,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "INVALID_CREDENTIALS" in refused.stderr
