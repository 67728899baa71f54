"""No personal data leaks out of attendance (docs/personal-data.md), in a stack of its own with
JSON logs: a member registered with a distinctive name, e-mail, phone and birth date goes
through every path that makes an event or a log line (registration and its refusals, a search
by e-mail, check-in, check-out, a bulk import, a daily report, a cancellation with a note naming
the phone, the risk, the erasure); then
- no event or work message of the run (every event type) carries any of those values,
- churn's database holds none of them, nor, after the erasure, attendance's,
- no log line of any process names them (read once the processes have stopped, so every line
  is flushed)."""

import asyncio
import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from e2e_stack import launch_stack
from sqlalchemy import text

from frequenta_kit.database import create_engine

pytestmark = pytest.mark.e2e

EVENT_TYPES = {
    "member.registered",
    "checkin.recorded",
    "checkout.recorded",
    "checkins.imported",
    "membership.cancelled",
    "member.personal_data_erased",
}


def distinctive_person() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        "nome": f"Zuleica Vazamento {tag}",
        "email": f"zuleica.{tag}@exemplo-lgpd.com.br",
        "telefone": f"+55 (31) 9{random.randint(1000, 9999)}-{random.randint(1000, 9999)}",
        "data_nascimento": f"1947-0{random.randint(1, 9)}-1{random.randint(0, 9)}",
    }


def forms_of(values: dict[str, str]) -> dict[str, str]:
    """Every way a value could show in a log or a payload: as given, lowercased, the phone's
    digits, the e-mail URL-encoded and JSON-escaped."""
    forms: dict[str, str] = {}
    for label, value in values.items():
        forms[label] = value
        forms[f"{label} (lowercase)"] = value.lower()
    digits = "".join(char for char in values["telefone"] if char.isdigit())
    forms["telefone (digits)"] = digits
    forms["telefone (local digits)"] = digits[2:]
    forms["email (url-encoded)"] = values["email"].replace("@", "%40")
    forms["email (local part)"] = values["email"].split("@")[0]
    return forms


@dataclass
class Run:
    member_id: int
    plan_code: str
    values: dict[str, str]
    log_dir: Path
    processes: list[str]
    outbox: list[tuple[str, str, bytes]] = field(default_factory=list)  # (exchange, type, body)
    churn_hits: dict[str, list[str]] = field(default_factory=dict)
    attendance_hits: dict[str, list[str]] = field(default_factory=dict)
    placeholder_hits: dict[str, list[str]] = field(default_factory=dict)
    churn_applied: set[str] = field(default_factory=set)


def client_of(stack) -> httpx.Client:
    """The stack's client, logged in as its first admin."""
    return stack.client(timeout=30)


def poll(check, what: str, within: float = 60.0):
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} not within {within:g}s"
        time.sleep(0.3)


async def _scalar(url: str, sql: str) -> object:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(sql))
    finally:
        await engine.dispose()


async def _outbox(url: str) -> list[tuple[str, str, bytes]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT exchange, message_type, payload FROM outbox ORDER BY id")
            )
            return [(exchange, kind, bytes(payload)) for exchange, kind, payload in rows]
    finally:
        await engine.dispose()


async def _tables_containing(url: str, needles: dict[str, str]) -> dict[str, list[str]]:
    """For each needle, the tables where some row's text (every column) contains it."""
    engine = create_engine(url, pool_size=1)
    found: dict[str, list[str]] = {}
    try:
        async with engine.connect() as connection:
            tables = list(
                await connection.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            )
            for label, needle in needles.items():
                patterns = [f"%{needle.lower()}%", f"%{needle.encode().hex()}%"]
                for table in tables:
                    hits = await connection.scalar(
                        text(
                            f"SELECT count(*) FROM {table} AS t"
                            " WHERE lower(t::text) LIKE ANY (:patterns)"
                        ),
                        {"patterns": patterns},
                    )
                    if hits:
                        found.setdefault(label, []).append(table)
    finally:
        await engine.dispose()
    return found


def walk_every_path(api: httpx.Client, person: dict[str, str], plan: dict) -> int:
    """Everything a member's data goes through; returns the member's id (erased at the end)."""
    enrolled = datetime.now(UTC) - timedelta(days=60)
    body = {**person, "plano_id": plan["id"], "data_matricula": enrolled.isoformat()}
    response = api.post("/aluno/registro", json=body)
    assert response.status_code == 201, response.text
    member_id = response.json()["id"]
    # Refusals that echo the data to its sender only.
    assert api.post("/aluno/registro", json=body).status_code == 409
    future_birth = {**body, "email": f"x.{person['email']}", "data_nascimento": "2999-01-01"}
    assert api.post("/aluno/registro", json=future_birth).status_code == 422
    found = api.get("/alunos", params={"q": person["email"]}).json()
    assert [m["id"] for m in found["itens"]] == [member_id]
    assert api.get("/alunos", params={"q": person["nome"]}).status_code == 200

    past = datetime.now(UTC) - timedelta(days=3)
    visit = {
        "aluno_id": member_id,
        "data_entrada": past.isoformat(),
        "data_saida": (past + timedelta(hours=1)).isoformat(),
    }
    assert api.post("/aluno/checkin", json=visit).status_code == 201
    assert api.post("/aluno/checkin", json={"aluno_id": member_id}).status_code == 201
    assert api.post("/aluno/checkout", json={"aluno_id": member_id}).status_code == 200
    day = datetime.now(UTC) - timedelta(days=10)
    batch = api.post(
        "/aluno/checkins/lote",
        json={
            "checkins": [
                {"aluno_id": member_id, "data_entrada": day.isoformat()},
                {"aluno_id": 987_654_321, "data_entrada": day.isoformat()},
            ]
        },
    )
    assert batch.status_code == 202, batch.text

    def imported() -> dict | None:
        job = api.get(batch.headers["location"]).json()
        return job if job["estado"] == "concluido" else None

    job = poll(imported, "the bulk import")
    assert (job["aceitas"], job["rejeitadas"]) == (1, 1), job
    report = api.post("/relatorios/diarios", json={"data": day.date().isoformat()})
    assert report.status_code == 202, report.text
    poll(
        lambda: api.get(f"/relatorios/diarios/{day.date().isoformat()}").status_code == 200,
        "the daily report",
    )
    assert api.get(f"/aluno/{member_id}/frequencia").status_code == 200
    api.get(f"/aluno/{member_id}/risco-churn")  # 503 NO_MODEL: no model in this stack
    cancelled = api.post(
        f"/aluno/{member_id}/cancelamento",
        json={"motivo": "mudanca", "observacao": f"ligar em {person['telefone']}"},
    )
    assert cancelled.status_code == 200, cancelled.text
    erased = api.request("DELETE", f"/aluno/{member_id}/dados-pessoais")
    assert erased.status_code == 200, erased.text
    return member_id


@pytest.fixture(scope="module")
def run(request, tmp_path_factory, rabbitmq_url) -> Iterator[Run]:
    run_dir = tmp_path_factory.mktemp("lgpd")
    person = distinctive_person()
    with (
        launch_stack(
            request, run_dir, rabbitmq_url, log_json="true", relay_poll_interval_seconds="0.2"
        ) as stack,
        client_of(stack) as api,
    ):
        plan = api.get("/planos").json()[0]
        member_id = walk_every_path(api, person, plan)
        attendance_db, churn_db = stack.attendance_database_url, stack.churn_database_url
        poll(
            lambda: asyncio.run(
                _scalar(attendance_db, "SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL")
            ),
            "publication of the outbox",
        )
        poll(
            lambda: asyncio.run(
                _scalar(
                    churn_db,
                    "SELECT count(*) FROM processed_events"
                    " WHERE event_type = 'member.personal_data_erased'",
                )
            ),
            "the projection applying the erasure",
        )
        result = Run(
            member_id, plan["codigo"], person, run_dir / "logs", list(stack.launcher.processes)
        )
        result.outbox = asyncio.run(_outbox(attendance_db))
        result.churn_hits = asyncio.run(_tables_containing(churn_db, forms_of(person)))
        result.attendance_hits = asyncio.run(_tables_containing(attendance_db, forms_of(person)))
        placeholder = {"placeholder": f"titular-removido-{member_id}@dados-removidos.invalid"}
        result.placeholder_hits = asyncio.run(_tables_containing(attendance_db, placeholder))
        result.churn_applied = set(
            asyncio.run(
                _scalar(churn_db, "SELECT array_agg(DISTINCT event_type) FROM processed_events")
            )
            or []
        )
    yield result  # the processes have stopped: their logs are complete


def test_every_event_and_work_message_of_the_run_is_free_of_personal_data(run: Run):
    assert {kind for exchange, kind, _ in run.outbox if exchange == "events"} == EVENT_TYPES
    assert any(exchange == "work" for exchange, _, _ in run.outbox), "imports and reports"
    for exchange, kind, body in run.outbox:
        for label, form in forms_of(run.values).items():
            assert form.encode() not in body, f"{exchange} {kind} carries the {label}"


def test_churn_keeps_nothing_personal_and_applied_the_erasure(run: Run):
    assert run.churn_hits == {}
    assert run.churn_applied >= EVENT_TYPES


def test_after_the_erasure_no_table_of_attendance_holds_the_members_data(run: Run):
    """Members, visits, the outbox, import jobs and their rejected rows, report jobs and
    reports: the values are nowhere (the run's only member is the erased one)."""
    assert run.placeholder_hits == {"placeholder": ["alunos"]}, "the search finds what is stored"
    assert run.attendance_hits == {}


def test_no_log_line_of_any_process_names_the_member(run: Run):
    logs = {name: (run.log_dir / f"{name}.log").read_text() for name in run.processes}
    lines = [line for line in logs["attendance"].splitlines() if line.startswith("{")]
    messages = [json.loads(line)["msg"] for line in lines]
    assert f"member {run.member_id} registered on plan {run.plan_code}" in messages
    assert f"personal data of member {run.member_id} erased" in messages
    assert "GET /alunos?q=*** HTTP/1.1" in logs["gateway"], "the search was logged, redacted"
    for name, content in logs.items():
        for label, form in forms_of(run.values).items():
            assert form not in content, f"{name}'s log names the {label}"
            assert form.lower() not in content.lower(), f"{name}'s log names the {label}"
