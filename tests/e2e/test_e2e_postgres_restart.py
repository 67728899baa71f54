"""PostgreSQL stopped and started again under a stream of REST check-ins, with the real processes
of the Procfile running over databases, ports and a broker namespace of their own.

While the database is away every answer is 503 (or 504) with the one error body, never a 500;
once it is back the same processes, never restarted, answer 201 again. Clients retry what was
refused with the same idempotency key, so afterwards every check-in is stored once, each with
its event in the outbox, and the relay has published them all. The workers, whose jobs fail
meanwhile (the scheduler ticks every half second and queues the reports of the past month), wait
for the database instead of dead-lettering them.

DISRUPTIVE (marker): it stops a PostgreSQL server for a few seconds, so it runs last in the
session (tests/conftest.py) and always starts the server again. By default the server is a
throwaway one of the test's own (e2e_postgres.py), which no other run on the machine uses;
FREQUENTA_DISRUPTIVE_PG=cluster restarts the machine's cluster instead (pg_ctlcluster), which
every run using it at that moment will notice.
"""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from aio_pika.abc import AbstractChannel
from e2e_postgres import PostgresServer, disruptable_server
from e2e_stack import Stack, launch_stack
from e2e_support import ago, on_broker
from sqlalchemy import create_engine, text

from frequenta.events.v1 import events_pb2 as ev
from frequenta_attendance import chunks
from frequenta_attendance.reports import messages as report_messages
from frequenta_kit.broker import Topology
from frequenta_kit.consumer import queue_depths
from frequenta_kit.database import sync_url
from frequenta_sim.login import TokenAuth

pytestmark = [pytest.mark.disruptive, pytest.mark.timeout(300)]

CLIENTS = 4
MEMBERS_PER_CLIENT = 2
STANDARD_ERRORS = {503, 504}
# Each client's members make one visit a day, oldest first, from this many days ago.
HISTORY_DAYS = 5000

T = TypeVar("T")


def wait_for(probe: Callable[[], T], *, within: float, what: str) -> T:
    """``probe()`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not (result := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g}s waiting for {what}")
        time.sleep(0.05)
    return result


# -- the load ------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: dict
    retry_after: str | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Load:
    """Clients posting check-ins, each a finished visit on a day of its own with a new key,
    again with the same key after a 503/504 (as a client should), until told to stop; then
    each finishes its pending check-in. One more client reads members and their attendance."""

    base_url: str
    members: list[int]
    auth: httpx.Auth
    answers: list[Answer] = field(default_factory=list)
    reads: list[Answer] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)  # key -> visit id
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self._client, args=(self.members[n::CLIENTS],), daemon=True)
            for n in range(CLIENTS)
        ]
        threads.append(threading.Thread(target=self._reader, daemon=True))
        for thread in threads:
            thread.start()
        return threads

    def count(self, statuses: set[int], since: float = 0.0) -> int:
        with self._lock:
            return sum(a.status in statuses and a.at >= since for a in self.answers)

    def _client(self, members: list[int]) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=30, auth=self.auth) as client:
                day = 0
                while not self.stop.is_set() and day < HISTORY_DAYS - 1:
                    day += 1
                    for member in members:
                        self._check_in(client, member, day)
        except BaseException as error:  # reported by the test
            self.errors.append(error)

    def _reader(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=30, auth=self.auth) as client:
                while not self.stop.is_set():
                    for member in self.members:
                        for path in (f"/aluno/{member}", f"/aluno/{member}/frequencia"):
                            response = client.get(path)
                            self.reads.append(Answer(response.status_code, response.json(), None))
                        self.stop.wait(0.02)
        except BaseException as error:  # reported by the test
            self.errors.append(error)

    def _check_in(self, client: httpx.Client, member: int, day: int) -> None:
        body = {
            "aluno_id": member,
            "data_entrada": ago(days=HISTORY_DAYS - day),
            "data_saida": ago(days=HISTORY_DAYS - day, minutes=-45),
            "chave_idempotencia": f"pg-restart-{uuid.uuid4()}",
        }
        while True:
            response = client.post("/aluno/checkin", json=body)
            answer = Answer(
                response.status_code, response.json(), response.headers.get("retry-after")
            )
            with self._lock:
                self.answers.append(answer)
            if response.status_code in (200, 201):
                self.accepted[body["chave_idempotencia"]] = answer.body["id"]
                return
            if response.status_code not in STANDARD_ERRORS:
                return  # a wrong answer: the test fails on it
            self.stop.wait(0.05)  # the pace of a client's retries


# -- the test ------------------------------------------------------------------------------------


def register_members(stack: Stack) -> list[int]:
    with stack.client(timeout=15) as client:
        plans = client.get("/planos").json()
        plan = next(p for p in plans if p["codigo"] == "mensal")
        ids = []
        for _ in range(CLIENTS * MEMBERS_PER_CLIENT):
            response = client.post(
                "/aluno/registro",
                json={
                    "nome": "Aluno Restart",
                    "email": f"restart.{uuid.uuid4().hex[:12]}@example.com",
                    "plano_id": plan["id"],
                    "data_matricula": ago(days=HISTORY_DAYS + 1),
                },
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        return ids


def stored_state(database_url: str, members: list[int]) -> tuple[list[int], list[int], int]:
    """(ids of the members' check-ins, visit ids of their checkin.recorded outbox rows, how many
    of those rows are still unpublished)."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            visits = connection.scalars(
                text("SELECT id FROM checkins WHERE aluno_id = ANY(:ids) ORDER BY id"),
                {"ids": members},
            ).all()
            rows = connection.execute(
                text(
                    "SELECT payload, published_at IS NULL FROM outbox"
                    " WHERE aggregate_id = ANY(:ids) AND message_type = 'checkin.recorded'"
                ),
                {"ids": members},
            ).all()
    finally:
        engine.dispose()
    events = sorted(ev.EventEnvelope.FromString(p).check_in_recorded.visit_id for p, _ in rows)
    return list(visits), events, sum(unpublished for _, unpublished in rows)


def dead_letters(stack: Stack) -> dict[str, int]:
    """Messages in the dead-letter queues of the stack's work queues."""

    async def depths(channel: AbstractChannel, topology: Topology) -> dict[str, int]:
        return {
            queue: (await queue_depths(channel, topology, queue))[1]
            for queue in (chunks.QUEUE, report_messages.QUEUE)
        }

    return on_broker(stack, depths)


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    with disruptable_server() as server:
        yield server


@pytest.fixture
def own_stack(request, tmp_path: Path, rabbitmq_url: str, postgres: PostgresServer):
    with launch_stack(
        request,
        tmp_path / "run",
        rabbitmq_url,
        server_url=postgres.url,
        relay_poll_interval_seconds="0.2",
        # The scheduler ticks during the outage too (and must live through it).
        scheduler_interval_seconds="0.5",
    ) as stack:
        yield stack


def test_postgres_restart_under_load_is_503_then_201_without_restarting_anything(
    own_stack: Stack, postgres: PostgresServer
):
    stack = own_stack
    assert postgres.ready(), "PostgreSQL is up before the test"
    pids = {name: stack.launcher.pid(name) for name in stack.launcher.processes}
    members = register_members(stack)
    load = Load(stack.base_url, members, TokenAuth(stack.admin_login, stack.admin_password))
    threads = load.run()
    try:
        wait_for(lambda: load.count({201}) >= 20, within=30, what="check-ins before the outage")
        stopped_at = time.monotonic()
        try:
            postgres.stop()
            down_at = time.monotonic()
            wait_for(
                lambda: (
                    load.count({503, 504}, since=down_at) >= 10 and time.monotonic() - down_at >= 2
                ),
                within=30,
                what="refusals while PostgreSQL is down",
            )
        finally:
            postgres.start()
            wait_for(postgres.ready, within=60, what="pg_isready after the start")
        up_at = time.monotonic()
        wait_for(
            lambda: load.count({201}, since=up_at) >= 20,
            within=60,
            what="201 again after PostgreSQL came back, with no process restarted",
        )
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not load.errors, load.errors

    outage = [a for a in load.answers if stopped_at <= a.at <= up_at]
    assert {a.status for a in load.answers} <= {200, 201, 503, 504}, sorted(
        {(a.status, a.body.get("erro", {}).get("codigo")) for a in load.answers}
    )
    refused = [a for a in load.answers if a.status in STANDARD_ERRORS]
    assert sum(a.status in STANDARD_ERRORS for a in outage) >= 10
    for answer in refused:
        assert set(answer.body) == {"erro"}, answer
        assert set(answer.body["erro"]) == {"codigo", "mensagem", "detalhes"}, answer
        assert answer.body["erro"]["mensagem"], answer
    assert all(a.retry_after for a in refused if a.status == 503)
    assert {a.status for a in load.reads} <= {200, 503, 504}, [
        a for a in load.reads if a.status not in (200, 503, 504)
    ][:3]
    for answer in (a for a in load.reads if a.status != 200):
        assert set(answer.body) == {"erro"} and answer.body["erro"]["codigo"], answer
    assert {a.body["erro"]["codigo"] for a in refused} <= {
        "DATABASE_UNAVAILABLE",
        "SERVICE_UNAVAILABLE",
        "UPSTREAM_TIMEOUT",
    }
    assert {name: stack.launcher.pid(name) for name in stack.launcher.processes} == pids, (
        "every process kept running"
    )

    # Each accepted key is one stored check-in, and each stored check-in has its event, which
    # the relay (never restarted either) has published.
    def published() -> tuple[list[int], list[int], int] | None:
        state = stored_state(stack.attendance_database_url, members)
        return state if state[2] == 0 else None

    visits, events, _ = wait_for(published, within=30, what="the relay to publish every event")
    assert sorted(load.accepted.values()) == visits
    assert events == visits, "no check-in without its event"
    assert httpx.get(f"{stack.base_url}/readyz", timeout=5).status_code == 200
    assert dead_letters(stack) == {chunks.QUEUE: 0, report_messages.QUEUE: 0}
