"""The load of the scale-out test (test_e2e_scale_out.py), all at once through every gateway in
turn: registrations, single check-ins (some with an Idempotency-Key sent to two gateways at the
same moment), bulk batches (one sent twice), daily reports of the same dates from every gateway,
and retraining requests. It records what it sent, for the test to compare with what was stored."""

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from e2e_support import iso, unique_email

MEMBERS = 24
BATCHES = 3  # each for MEMBERS // BATCHES members, two visits each
KEYED_EVERY = 3  # every third member's first check-in carries an Idempotency-Key
REPORT_DAYS = 2  # yesterday and the day before, each asked twice of every gateway
RETRAINS = 3
# Members joined this many days ago; their visits are on the days after.
ENROLLED_DAYS_AGO = 6


@dataclass
class Sent:
    members: list[int] = field(default_factory=list)
    visits: set[tuple[int, datetime]] = field(default_factory=set)  # distinct (member, entry)
    # Statuses of each keyed check-in sent to two gateways at once (201 exactly once).
    keyed: list[list[int]] = field(default_factory=list)
    import_jobs: list[dict] = field(default_factory=list)  # finished jobs
    report_days: set[date] = field(default_factory=set)
    report_requests: int = 0
    retrain_jobs: list[dict] = field(default_factory=list)  # finished jobs


def round_robin(clients: list[httpx.AsyncClient]) -> Callable[[], httpx.AsyncClient]:
    count = 0

    def next_client() -> httpx.AsyncClient:
        nonlocal count
        count += 1
        return clients[count % len(clients)]

    return next_client


def created(response: httpx.Response, status: int = 201) -> dict:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json()


async def finished(client: httpx.AsyncClient, location: str, within: float = 60.0) -> dict:
    """The job at ``location`` once it is done (bulk import or retraining), with a deadline."""
    deadline = time.monotonic() + within
    while True:
        job = created(await client.get(location), 200)
        if job["estado"] in ("concluido", "falhou"):
            return job
        assert time.monotonic() < deadline, f"{location} still {job['estado']} after {within}s"
        await asyncio.sleep(0.3)


async def register(client: httpx.AsyncClient, plan_id: int, enrolled: datetime) -> int:
    body = {"nome": "Aluno Escala", "email": unique_email("escala"), "plano_id": plan_id}
    response = await client.post("/aluno/registro", json={**body, "data_matricula": iso(enrolled)})
    return created(response)["id"]


async def keyed_check_in(clients: list[httpx.AsyncClient], body: dict) -> list[int]:
    """The same check-in with the same key sent to every gateway at once; a request that met
    the first one still in flight (409) is retried until it gets the replay."""
    headers = {"Idempotency-Key": f"escala-{uuid.uuid4().hex}"}

    async def send(client: httpx.AsyncClient) -> int:
        deadline = time.monotonic() + 30
        while True:
            response = await client.post("/aluno/checkin", json=body, headers=headers)
            in_flight = response.status_code == 409 and "IN_FLIGHT" in response.text
            if not in_flight or time.monotonic() > deadline:
                assert response.status_code in (200, 201), response.text
                return response.status_code
            await asyncio.sleep(0.1)

    return list(await asyncio.gather(*(send(client) for client in clients)))


async def visits_of(
    member: asyncio.Task[int],
    index: int,
    clients: list[httpx.AsyncClient],
    sent: Sent,
    base: datetime,
) -> None:
    """Two single check-ins, on days 1 and 2 after enrollment, of one member."""
    member_id = await member
    for day in (1, 2):
        entry = base + timedelta(days=day, minutes=index)
        body = {"aluno_id": member_id, "data_entrada": iso(entry)}
        body["data_saida"] = iso(entry + timedelta(hours=1))
        sent.visits.add((member_id, entry))
        if day == 1 and index % KEYED_EVERY == 0:
            sent.keyed.append(await keyed_check_in(clients, body))
        else:
            created(await clients[index % len(clients)].post("/aluno/checkin", json=body))


async def batch_of(
    members: list[asyncio.Task[int]],
    number: int,
    clients: list[httpx.AsyncClient],
    sent: Sent,
    base: datetime,
) -> None:
    """One bulk batch of its members' visits on days 3 and 4 after enrollment, each row with a
    key; the first batch is sent to every gateway at once (the others' rows are duplicates)."""
    rows = []
    for index, member in enumerate(members):
        member_id = await member
        for day in (3, 4):
            entry = base + timedelta(days=day, minutes=index)
            sent.visits.add((member_id, entry))
            rows.append(
                {
                    "aluno_id": member_id,
                    "data_entrada": iso(entry),
                    "data_saida": iso(entry + timedelta(minutes=50)),
                    "chave_idempotencia": f"escala-lote-{member_id}-{day}",
                }
            )
    senders = clients if number == 0 else [clients[number % len(clients)]]
    answers = await asyncio.gather(
        *(client.post("/aluno/checkins/lote", json={"checkins": rows}) for client in senders)
    )
    for client, answer in zip(senders, answers, strict=True):
        created(answer, 202)
        sent.import_jobs.append(await finished(client, answer.headers["location"]))


async def reports(clients: list[httpx.AsyncClient], sent: Sent, today: date) -> None:
    days = [today - timedelta(days=n) for n in range(1, REPORT_DAYS + 1)]
    requests = [
        client.post("/relatorios/diarios", json={"data": day.isoformat()})
        for day in days
        for client in clients
        for _ in range(2)
    ]
    for answer in await asyncio.gather(*requests):
        created(answer, 202)
    sent.report_days.update(days)
    sent.report_requests = len(requests)


async def retrains(clients: list[httpx.AsyncClient], sent: Sent) -> None:
    next_client = round_robin(clients)
    answers = await asyncio.gather(
        *(
            next_client().post("/modelo/retreino", json={"promover_se_melhor": True})
            for _ in range(RETRAINS)
        )
    )
    for answer in answers:
        created(answer, 202)
    sent.retrain_jobs = list(
        await asyncio.gather(
            *(finished(clients[0], answer.headers["location"], 120) for answer in answers)
        )
    )


async def drive(clients: list[httpx.AsyncClient], timezone: str) -> Sent:
    """Everything at once; returns when every request was answered and every job it started
    (bulk imports, retraining) has finished."""
    sent = Sent()
    plan_id = created(await clients[0].get("/planos"), 200)[0]["id"]
    for client in clients:  # each client logs in once before the crowd
        created(await client.get("/planos"), 200)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=ENROLLED_DAYS_AGO)
    next_client = round_robin(clients)
    members = [asyncio.create_task(register(next_client(), plan_id, base)) for _ in range(MEMBERS)]
    size = MEMBERS // BATCHES
    today = datetime.now(ZoneInfo(timezone)).date()
    await asyncio.gather(
        *(visits_of(member, index, clients, sent, base) for index, member in enumerate(members)),
        *(
            batch_of(members[n * size : (n + 1) * size], n, clients, sent, base)
            for n in range(BATCHES)
        ),
        reports(clients, sent, today),
        retrains(clients, sent),
    )
    sent.members = [member.result() for member in members]
    return sent
