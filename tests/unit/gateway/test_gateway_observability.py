"""The request id on every request, response and gRPC call context; GET /metrics."""

import re

import grpc
from gateway_fakes import bare_rpc_error
from gateway_protos import member

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_kit import request_ids


async def test_a_client_request_id_is_kept_and_returned(client, attendance):
    seen: list[str | None] = []
    original = attendance.__getattr__("GetMember")

    async def get_member(request, *, timeout=None):  # noqa: ASYNC109
        seen.append(request_ids.current())  # what the gRPC channel would send as metadata
        return await original(request, timeout=timeout)

    attendance.answer("GetMember", pb.GetMemberResponse(member=member(7)))
    attendance.GetMember = get_member
    response = await client.get("/aluno/7", headers={"X-Request-ID": "desk-01:0042"})
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "desk-01:0042"
    assert seen == ["desk-01:0042"]


async def test_a_missing_or_unacceptable_request_id_is_replaced(client):
    made = (await client.get("/healthz")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    response = await client.get("/healthz", headers={"X-Request-ID": "has spaces\tand tabs"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_errors_carry_the_request_id_too(client, attendance):
    attendance.answer("GetMember", bare_rpc_error(grpc.StatusCode.UNAVAILABLE, "refused"))
    response = await client.get("/aluno/7", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 503
    assert response.headers["x-request-id"] == "abc-123"
    response = await client.get("/nao-existe", headers={"X-Request-ID": "abc-124"})
    assert (response.status_code, response.headers["x-request-id"]) == (404, "abc-124")


async def test_metrics_count_requests_by_route_template(client, attendance):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(7)))

    def count(text: str) -> float:
        pattern = (
            r'^frequenta_gateway_http_requests_total\{handler="/aluno/\{id:int\}",method="GET",'
            r'status="200"\} (\S+)$'
        )
        found = re.search(pattern, text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    before = count((await client.get("/metrics")).text)
    for _ in range(2):
        assert (await client.get("/aluno/7")).status_code == 200
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert count(response.text) == before + 2
    assert "frequenta_gateway_http_request_duration_seconds_bucket" in response.text
    assert 'frequenta_process_info{kind="gateway"} 1.0' in response.text


async def test_metrics_are_left_out_of_the_openapi_document(client):
    spec = (await client.get("/openapi.json")).json()
    assert "/metrics" not in spec["paths"]
