"""Operations against the real processes of the Procfile: the Prometheus metrics of every
process kind, a request id that travels from the gateway into attendance's logs and into the
events it publishes, and attendance stopped and started again under the same gateway (503 with
Retry-After at once, then 200, no gateway restart).

A stack of its own: one test stops a process.
"""

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from e2e_stack import Stack, launch_stack
from e2e_support import ago, assert_error, unique_email
from sqlalchemy import create_engine, text

from frequenta.events.v1 import events_pb2 as ev
from frequenta_kit.broker import Topology, connect, declare_events_exchange
from frequenta_kit.database import sync_url

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# Generous: the test shows a 503 comes without waiting for the deadline, not how fast it comes.
GRPC_DEADLINE_SECONDS = 20


@pytest.fixture(scope="module")
def ops(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, rabbitmq_url: str
) -> Iterator[Stack]:
    with launch_stack(
        request,
        tmp_path_factory.mktemp("ops"),
        rabbitmq_url,
        relay_poll_interval_seconds="0.2",
        grpc_deadline_seconds=str(GRPC_DEADLINE_SECONDS),
    ) as running:
        yield running


@pytest.fixture(scope="module")
def client(ops: Stack) -> Iterator[httpx.Client]:
    with ops.client(timeout=GRPC_DEADLINE_SECONDS + 15) as api:  # logged in as the admin
        yield api


@pytest.fixture(scope="module")
def plan_id(client: httpx.Client) -> int:
    response = client.get("/planos")
    assert response.status_code == 200, response.text
    return response.json()[0]["id"]


@pytest.fixture
def register(client: httpx.Client, plan_id: int) -> Callable[..., dict[str, Any]]:
    def register(headers: dict[str, str] | None = None) -> dict[str, Any]:
        body = {"nome": "Aluno Ops", "email": unique_email("ops"), "plano_id": plan_id}
        body["data_matricula"] = ago(days=60)
        response = client.post("/aluno/registro", json=body, headers=headers or {})
        assert response.status_code == 201, response.text
        return response.json()

    return register


# --- reading Prometheus text -----------------------------------------------------------------


def scrape(url: str) -> str:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of series ``name`` whose labels include ``labels`` (summed over the others);
    None when there is none."""
    total = None
    for line in text.splitlines():
        found = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if not found:
            continue
        have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', found.group(1) or ""))
        if all(have.get(key) == value for key, value in labels.items()):
            total = (total or 0.0) + float(found.group(2))
    return total


def poll(probe: Callable[[], Any], *, within: float = 60.0, what: str) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g}s waiting for {what}")
        time.sleep(0.25)


def process_metrics(ops: Stack, kind: str) -> str:
    return scrape(f"http://127.0.0.1:{ops.metrics_ports[kind]}/metrics")


# --- metrics -----------------------------------------------------------------------------------


def test_gateway_metrics_count_requests_by_route(client: httpx.Client):
    def count() -> float:
        text = client.get("/metrics").text
        labels = {"handler": "/aluno/{id:int}", "method": "GET", "status": "404"}
        return sample(text, "frequenta_gateway_http_requests_total", **labels) or 0.0

    before = count()
    for _ in range(3):
        assert client.get("/aluno/999999999").status_code == 404
    assert count() == before + 3
    text = client.get("/metrics").text
    assert sample(text, "frequenta_gateway_http_request_duration_seconds_count") is not None
    # The gateway's side of its gRPC calls, by status code.
    labels = {"method": "GetMember", "code": "NOT_FOUND"}
    assert (sample(text, "frequenta_grpc_client_calls_total", **labels) or 0) >= 3


def test_every_process_kind_serves_its_key_series(ops: Stack, client: httpx.Client, register):
    member = register()
    response = client.get(f"/aluno/{member['id']}/frequencia")
    assert response.status_code == 200, response.text
    assert set(ops.metrics_ports) == {
        "attendance",
        "churn",
        "churn-projection",
        "retrain-worker",
        "relay",
        "ingest-worker",
        "reports-worker",
        "scheduler",
    }
    for kind in ops.metrics_ports:
        assert sample(process_metrics(ops, kind), "frequenta_process_info", kind=kind) == 1, kind

    text = process_metrics(ops, "attendance")
    for method in ("RegisterMember", "GetAttendance"):
        labels = {"method": method, "code": "OK"}
        assert (sample(text, "frequenta_grpc_server_calls_total", **labels) or 0) >= 1, method
    labels = {"method": "GetAttendance"}
    assert sample(text, "frequenta_grpc_server_call_duration_seconds_count", **labels)

    text = process_metrics(ops, "churn")
    assert sample(text, "frequenta_churn_serving_model_info", version="none") == 1
    assert sample(text, "frequenta_grpc_server_calls_total", code="OK")  # its health checks

    # The member's event went out through the relay and into churn's projection.
    poll(
        lambda: sample(process_metrics(ops, "relay"), "frequenta_relay_messages_published_total"),
        what="the relay to count a published row",
    )
    text = process_metrics(ops, "relay")
    assert sample(text, "frequenta_relay_outbox_pending_messages") is not None
    assert sample(text, "frequenta_relay_outbox_oldest_pending_age_seconds") is not None
    poll(
        lambda: sample(
            process_metrics(ops, "churn-projection"),
            "frequenta_consumer_messages_processed_total",
            queue="churn-projection",
        ),
        what="churn-projection to count an applied event",
    )
    for kind, queue in (
        ("ingest-worker", "checkin-import"),
        ("reports-worker", "daily-reports"),
        ("retrain-worker", "model-retraining"),
        ("churn-projection", "churn-projection"),
    ):
        poll(
            lambda kind=kind, queue=queue: (
                sample(process_metrics(ops, kind), "frequenta_queue_depth_messages", queue=queue)
                is not None
            ),
            what=f"{kind} to report the depth of {queue}",
        )
        dead = sample(
            process_metrics(ops, kind), "frequenta_queue_depth_messages", queue=f"{queue}.dead"
        )
        assert dead is not None, (kind, queue)
    poll(
        lambda: sample(
            process_metrics(ops, "scheduler"), "frequenta_scheduler_wake_ups_total", outcome="ok"
        ),
        what="the scheduler to count a wake-up",
    )


# --- request ids -------------------------------------------------------------------------------


def json_lines(ops: Stack, process: str) -> list[dict[str, Any]]:
    lines = []
    for line in ops.launcher.log_file(process).read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def test_the_request_id_travels_to_attendance_and_its_events(
    ops: Stack, client: httpx.Client, register
):
    topology = Topology(namespace=ops.broker_namespace)
    connection = await connect(ops.rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        events = await declare_events_exchange(channel, topology)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(events, routing_key="#")

        member = register({"X-Request-ID": "ops-register-1"})
        request_id = f"ops-{uuid.uuid4().hex[:12]}"
        response = await asyncio.to_thread(
            client.post,
            "/aluno/checkin",
            json={"aluno_id": member["id"]},
            headers={"X-Request-ID": request_id},
        )
        assert response.status_code == 201, response.text
        assert response.headers["x-request-id"] == request_id
        made = (await asyncio.to_thread(client.get, "/healthz")).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)
        # A bulk import: its rows are stored by the ingest worker, from a work message.
        imported = register()
        upload = {
            "origem": "importacao",
            "checkins": [
                {
                    "aluno_id": imported["id"],
                    "data_entrada": ago(days=2, hours=3),
                    "data_saida": ago(days=2, hours=2),
                }
            ],
        }
        response = await asyncio.to_thread(
            client.post,
            "/aluno/checkins/lote",
            json=upload,
            headers={"X-Request-ID": "ops-upload-1"},
        )
        assert response.status_code == 202, response.text

        # Published with the id in the envelope and in the AMQP headers.
        seen: dict[tuple[int, str], tuple[str, Any]] = {}
        wanted = {
            (member["id"], "member.registered"),
            (member["id"], "checkin.recorded"),
            (imported["id"], "checkins.imported"),
        }
        deadline = time.monotonic() + 60
        while not wanted <= set(seen):
            assert time.monotonic() < deadline, f"events not published: {sorted(seen)}"
            message = await queue.get(fail=False, no_ack=True)
            if message is None:
                await asyncio.sleep(0.2)
                continue
            envelope = ev.EventEnvelope.FromString(message.body)
            key = (envelope.member_id, envelope.event_type)
            seen[key] = (envelope.request_id, message.headers)
        assert seen[member["id"], "member.registered"][0] == "ops-register-1"
        assert seen[member["id"], "checkin.recorded"][0] == request_id
        assert seen[member["id"], "checkin.recorded"][1]["x-request-id"] == request_id
        assert seen[imported["id"], "checkins.imported"][0] == "ops-upload-1"

    # In the JSON log lines of the gateway and of attendance (its line per gRPC call).
    def logged(process: str) -> list[dict[str, Any]]:
        return [line for line in json_lines(ops, process) if line.get("request_id") == request_id]

    gateway_lines = poll(lambda: logged("gateway"), within=15, what="the gateway's log line")
    assert any("/aluno/checkin" in line["msg"] for line in gateway_lines), gateway_lines
    attendance_lines = poll(lambda: logged("attendance"), within=15, what="attendance's line")
    assert any("RecordCheckIn OK" in line["msg"] for line in attendance_lines), attendance_lines


def _outbox_headers_of(ops: Stack, member_id: int) -> list[dict[str, Any]]:
    engine = create_engine(sync_url(ops.attendance_database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT headers FROM outbox WHERE aggregate_id = :id ORDER BY id"),
                {"id": member_id},
            )
            return [row.headers for row in rows]
    finally:
        engine.dispose()


def test_outbox_rows_carry_the_request_id(ops: Stack, client: httpx.Client, register):
    member = register({"X-Request-ID": "ops-outbox-1"})
    headers = _outbox_headers_of(ops, member["id"])
    assert headers and all(row.get("x-request-id") == "ops-outbox-1" for row in headers), headers


# --- a service down and back (last: it stops attendance) ---------------------------------------


def test_attendance_down_is_503_at_once_then_back_without_restarting_the_gateway(
    ops: Stack, client: httpx.Client, register
):
    member = register()
    # A route the gateway does not cache: a cached frequencia would still answer 200 (and
    # rightly: no change of the member can be committed while attendance is down).
    path = f"/aluno/{member['id']}"
    assert client.get(path).status_code == 200
    gateway_pid = ops.launcher.pid("gateway")

    assert ops.launcher.stop("attendance")
    try:
        started = time.monotonic()
        response = client.get(path)
        elapsed = time.monotonic() - started
        assert_error(response, 503, "SERVICE_UNAVAILABLE")
        assert 1 <= int(response.headers["retry-after"]) <= 10
        assert response.headers["x-request-id"]
        # Not after the deadline: no waiting for the service to come back.
        assert elapsed < GRPC_DEADLINE_SECONDS, elapsed
    finally:
        ops.launcher.start("attendance")

    def answers() -> bool:
        return client.get(path).status_code == 200

    poll(answers, within=60, what="the same gateway to reach attendance again")
    assert ops.launcher.pid("gateway") == gateway_pid
