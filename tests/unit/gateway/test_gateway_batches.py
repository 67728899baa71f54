"""Bulk check-in uploads through the app, with fake stubs: JSON and CSV into one
SubmitCheckInBatch, 202 with the job and its Location, the job status, and the refusals the
gateway decides itself (unreadable rows 422, over the limits 413, other media types 415)."""

import pytest
from gateway_fakes import FakeStub, rpc_error
from gateway_protos import ts

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway.settings import GatewaySettings
from frequenta_kit.errors import InvalidInput, NotFound

JOB_ID = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
PATH = "/aluno/checkins/lote"
HEADER = "aluno_id,data_entrada,data_saida,dispositivo_id,chave_idempotencia\n"


@pytest.fixture
def settings() -> GatewaySettings:
    return GatewaySettings(
        grpc_deadline_seconds=2.5,
        bulk_deadline_seconds=40,
        retry_after_seconds=30,
        bulk_max_rows=5,
        bulk_max_body_bytes=2000,
        rate_limits_enabled=False,
    )


@pytest.fixture(autouse=True)
def every_call_has_a_deadline(settings: GatewaySettings, attendance: FakeStub):
    """Uploads get the bulk deadline; every other call the usual one."""
    yield
    for call in attendance.calls:
        expected = (
            settings.bulk_deadline_seconds
            if call.method == "SubmitCheckInBatch"
            else settings.grpc_deadline_seconds
        )
        assert call.timeout == expected, call


def job(**changes) -> pb.CheckInBatchJob:
    fields = dict(
        job_id=JOB_ID,
        state=pb.JOB_STATE_QUEUED,
        total_rows=2,
        submitted_at=ts("2025-03-11T09:00:00Z"),
    )
    fields.update(changes)
    return pb.CheckInBatchJob(**fields)


def sent_rows(request: pb.SubmitCheckInBatchRequest) -> list[pb.CheckInRow]:
    """The rows of the request, which the gateway sends as packed columns."""
    assert not request.rows
    columns = request.columns
    rows = []
    for index, member_id in enumerate(columns.member_ids):
        row = pb.CheckInRow(
            member_id=member_id,
            device_id=columns.device_ids[index] if columns.device_ids else "",
            idempotency_key=columns.idempotency_keys[index] if columns.idempotency_keys else "",
        )
        row.entered_at.FromMicroseconds(columns.entered_at_us[index])
        if columns.has_exit and columns.has_exit[index]:
            row.exited_at.FromMicroseconds(columns.exited_at_us[index])
        rows.append(row)
    return rows


def queued(attendance: FakeStub) -> None:
    attendance.answer("SubmitCheckInBatch", pb.SubmitCheckInBatchResponse(job=job()))


def erro(response) -> dict:
    return response.json()["erro"]


async def test_a_json_batch_is_queued_and_answered_202_with_the_job(client, attendance):
    queued(attendance)
    response = await client.post(
        PATH,
        json={
            "origem": "catraca",
            "checkins": [
                {
                    "aluno_id": 42,
                    "data_entrada": "2025-03-10T07:15:00.123456-03:00",
                    "data_saida": "2025-03-10T08:32:00-03:00",
                    "dispositivo_id": "catraca-01",
                    "chave_idempotencia": "k-1",
                },
                {"aluno_id": 43, "data_entrada": "2025-03-10T10:20:00Z"},
            ],
        },
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"{PATH}/{JOB_ID}"
    assert response.json() == {
        "job_id": JOB_ID,
        "estado": "na_fila",
        "total_linhas": 2,
        "processadas": 0,
        "aceitas": 0,
        "duplicadas": 0,
        "rejeitadas": 0,
        "progresso": 0.0,
        "linhas_rejeitadas": [],
        "enviado_em": "2025-03-11T09:00:00Z",
        "iniciado_em": None,
        "concluido_em": None,
        "erro": None,
    }
    (sent,) = attendance.requests("SubmitCheckInBatch")
    assert sent.source == pb.CHECK_IN_SOURCE_TURNSTILE
    first, second = sent_rows(sent)
    assert (first.member_id, first.device_id, first.idempotency_key) == (42, "catraca-01", "k-1")
    assert first.entered_at == ts("2025-03-10T10:15:00.123456Z")
    assert first.exited_at == ts("2025-03-10T11:32:00Z")
    assert second.member_id == 43 and not second.HasField("exited_at")
    assert (second.device_id, second.idempotency_key) == ("", "")


async def test_a_csv_batch_is_the_same_batch(client, attendance):
    queued(attendance)
    body = (
        "\ufeff"
        + HEADER
        + "42,2025-03-10T07:15:00-03:00,2025-03-10T08:32:00-03:00,catraca-01,k-1\n"
        + "\n"  # blank lines are skipped and not counted
        + "43,2025-03-10T10:20:00Z,,,\n"
    )
    response = await client.post(
        f"{PATH}?origem=importacao",
        content=body.encode(),
        headers={"content-type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 202, response.text
    (sent,) = attendance.requests("SubmitCheckInBatch")
    assert sent.source == pb.CHECK_IN_SOURCE_IMPORT
    assert [(r.member_id, r.device_id, r.idempotency_key) for r in sent_rows(sent)] == [
        (42, "catraca-01", "k-1"),
        (43, "", ""),
    ]
    assert sent_rows(sent)[0].exited_at == ts("2025-03-10T11:32:00Z")


async def test_csv_columns_may_come_in_any_order_and_optional_ones_may_be_left_out(
    client, attendance
):
    queued(attendance)
    body = "data_entrada,aluno_id\n2025-03-10T10:20:00+00:00,7\n"
    response = await client.post(PATH, content=body, headers={"content-type": "text/csv"})
    assert response.status_code == 202, response.text
    (sent,) = attendance.requests("SubmitCheckInBatch")
    assert [r.member_id for r in sent_rows(sent)] == [7]
    assert sent.source == pb.CHECK_IN_SOURCE_UNSPECIFIED


async def test_unreadable_json_rows_refuse_the_whole_upload_naming_them(client, attendance):
    response = await client.post(
        PATH,
        json={
            "checkins": [
                {"aluno_id": 1, "data_entrada": "2025-03-10T10:20:00Z"},
                {"aluno_id": "2", "data_entrada": "2025-03-10T10:20:00Z"},
                {"aluno_id": 3, "data_entrada": "ontem"},
                {"aluno_id": 4, "data_entrada": "2025-03-10T10:20:00Z", "sala": 1},
            ]
        },
    )
    assert response.status_code == 422
    body = erro(response)
    assert body["codigo"] == "VALIDATION_ERROR"
    assert "3 row(s)" in body["mensagem"] and "linha 2, 3, 4" in body["mensagem"]
    assert [d["campo"] for d in body["detalhes"]] == [
        "checkins[1].aluno_id",
        "checkins[2].data_entrada",
        "checkins[3].sala",
    ]
    assert attendance.calls == []


async def test_unreadable_csv_rows_refuse_the_whole_upload_naming_them(client, attendance):
    body = (
        HEADER
        + "1,2025-03-10T10:20:00Z,,,\n"
        + "x,2025-03-10T10:20:00Z,,,\n"
        + "3,2025-03-10T10:20:00,,,\n"
        + "4,2025-03-10T10:20:00Z\n"
        + "5,,2025-03-10T10:20:00Z,,\n"
    )
    response = await client.post(PATH, content=body, headers={"content-type": "text/csv"})
    assert response.status_code == 422
    body = erro(response)
    assert body["codigo"] == "VALIDATION_ERROR"
    assert "linha 2, 3, 4, 5" in body["mensagem"]
    assert [d["campo"] for d in body["detalhes"]] == [
        "checkins[1].aluno_id",
        "checkins[2].data_entrada",
        "checkins[3]",
        "checkins[4].data_entrada",
    ]
    assert attendance.calls == []


async def test_timestamps_without_offset_are_named_as_such(client, attendance):
    body = HEADER + "1,2025-03-10T10:20:00,,,\n"
    response = await client.post(PATH, content=body, headers={"content-type": "text/csv"})
    assert (response.status_code, erro(response)["codigo"]) == (422, "TIMESTAMP_WITHOUT_TIMEZONE")


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        (b"", "cabecalho"),
        (b"aluno_id,entrada\n1,2025-03-10T10:20:00Z\n", "cabecalho"),
        (b"aluno_id\n1\n", "cabecalho"),
        (b"aluno_id,aluno_id,data_entrada\n1,1,2025-03-10T10:20:00Z\n", "cabecalho"),
        (b"aluno_id,data_entrada\n\xff\xfe,x\n", "corpo"),
    ],
)
async def test_a_csv_without_a_proper_header_or_encoding_is_refused(
    client, attendance, body, campo
):
    response = await client.post(PATH, content=body, headers={"content-type": "text/csv"})
    assert response.status_code == 422
    assert [d["campo"] for d in erro(response)["detalhes"]] == [campo]


async def test_an_upload_without_rows_is_refused(client, attendance):
    response = await client.post(PATH, json={"checkins": []})
    assert (response.status_code, erro(response)["detalhes"][0]["campo"]) == (422, "checkins")
    response = await client.post(PATH, content=HEADER, headers={"content-type": "text/csv"})
    assert response.status_code == 422
    response = await client.post(PATH, content=b"{", headers={"content-type": "application/json"})
    assert (response.status_code, erro(response)["detalhes"][0]["campo"]) == (422, "corpo")


async def test_over_the_row_limit_is_413(client, attendance):
    rows = "".join(f"{n},2025-03-10T10:20:00Z\n" for n in range(1, 7))
    response = await client.post(
        PATH, content="aluno_id,data_entrada\n" + rows, headers={"content-type": "text/csv"}
    )
    assert (response.status_code, erro(response)["codigo"]) == (413, "TOO_MANY_ROWS")
    assert attendance.calls == []


async def test_over_the_size_limit_is_413_whether_declared_or_streamed(client, attendance):
    big = b"aluno_id,data_entrada\n" + b"1,2025-03-10T10:20:00Z\n" * 100
    response = await client.post(PATH, content=big, headers={"content-type": "text/csv"})
    assert (response.status_code, erro(response)["codigo"]) == (413, "PAYLOAD_TOO_LARGE")

    async def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(100):
            yield b"1,2025-03-10T10:20:00Z\n"

    response = await client.post(PATH, content=chunks(), headers={"content-type": "text/csv"})
    assert (response.status_code, erro(response)["codigo"]) == (413, "PAYLOAD_TOO_LARGE")
    assert set(erro(response)) == {"codigo", "mensagem", "detalhes"}


async def test_other_media_types_are_415(client, attendance):
    response = await client.post(PATH, content=b"<xml/>", headers={"content-type": "text/xml"})
    assert (response.status_code, erro(response)["codigo"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


async def test_conflicting_sources_are_refused(client, attendance):
    response = await client.post(
        f"{PATH}?origem=app",
        json={
            "origem": "catraca",
            "checkins": [{"aluno_id": 1, "data_entrada": "2025-03-10T10:20:00Z"}],
        },
    )
    assert response.status_code == 422
    assert erro(response)["detalhes"][0]["campo"] == "origem"


async def test_service_refusals_pass_through_the_error_layer(client, attendance):
    attendance.answer(
        "SubmitCheckInBatch",
        rpc_error(InvalidInput("VALIDATION_ERROR", "a batch holds 1 to 5 rows", field="rows")),
    )
    response = await client.post(
        PATH, json={"checkins": [{"aluno_id": 1, "data_entrada": "2025-03-10T10:20:00Z"}]}
    )
    assert response.status_code == 422
    assert erro(response)["detalhes"][0]["campo"] == "checkins"


async def test_the_job_status_has_counts_progress_and_rejected_rows(client, attendance):
    attendance.answer(
        "GetCheckInBatch",
        pb.GetCheckInBatchResponse(
            job=job(
                state=pb.JOB_STATE_RUNNING,
                total_rows=3000,
                processed_rows=2000,
                accepted=1985,
                duplicates=12,
                rejected=3,
                rejected_rows=[
                    pb.RejectedRow(row_number=17, reason="MEMBER_NOT_FOUND", message="no member")
                ],
                started_at=ts("2025-03-11T09:00:01Z"),
            )
        ),
    )
    response = await client.get(f"{PATH}/{JOB_ID}")
    assert response.status_code == 200
    body = response.json()
    assert (body["estado"], body["processadas"], body["progresso"]) == ("executando", 2000, 0.6667)
    assert body["linhas_rejeitadas"] == [
        {"linha": 17, "codigo": "MEMBER_NOT_FOUND", "mensagem": "no member"}
    ]
    assert body["iniciado_em"] == "2025-03-11T09:00:01Z"
    (sent,) = attendance.requests("GetCheckInBatch")
    assert sent.job_id == JOB_ID


async def test_an_unknown_job_is_404(client, attendance):
    attendance.answer(
        "GetCheckInBatch", rpc_error(NotFound("JOB_NOT_FOUND", "no import job", field="job_id"))
    )
    response = await client.get(f"{PATH}/{JOB_ID}")
    assert (response.status_code, erro(response)["codigo"]) == (404, "JOB_NOT_FOUND")


async def test_the_openapi_describes_both_body_formats(client):
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"][PATH]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    assert "$ref" not in str(content["application/json"]["schema"])
    assert {"202", "413", "415", "422"} <= set(operation["responses"])
    assert "linhas_rejeitadas" in str(spec["components"]["schemas"]["BatchJob"])
