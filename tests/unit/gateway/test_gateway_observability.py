"""The request id on every request, response and gRPC call context; GET /metrics."""

import re

import grpc
from gateway_fakes import bare_rpc_error
from gateway_protos import member
from starlette.requests import Request

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


def _handler_counts(text: str) -> dict[tuple[str, str, str], float]:
    pattern = (
        r'^frequenta_gateway_http_requests_total\{handler="([^"]*)",method="([^"]*)",'
        r'status="([^"]*)"\} (\S+)$'
    )
    return {
        (handler, method, status): float(value)
        for handler, method, status, value in re.findall(pattern, text, re.MULTILINE)
    }


def _concrete(template: str) -> str:
    """A path the template matches: ``{id:int}`` -> 7, any other parameter -> x."""
    return re.sub(r"\{[^}:]+:int\}", "7", re.sub(r"\{[^}:]+\}", "x", template))


async def test_every_route_is_counted_under_the_template_the_instrumentator_would_match(
    app, anonymous
):
    """The handler label, taken from the route the router matched, is what the
    instrumentator's own matching gives for the same request: for every route (answering
    401 without a token, or a public probe), for a path no route has ("none") and for a
    method a route does not allow (405, its template)."""
    from fastapi.routing import APIRoute
    from prometheus_fastapi_instrumentator import routing

    requests = [
        (method, _concrete(route.path))
        for route in app.routes
        if isinstance(route, APIRoute) and route.path not in ("/readyz",)
        for method in sorted(route.methods)[:1]
    ]
    requests += [("GET", "/nao-existe/7"), ("DELETE", "/healthz")]
    expected: dict[tuple[str, str, str], float] = {}
    for method, path in requests:
        before = _handler_counts((await anonymous.get("/metrics")).text)
        response = await anonymous.request(method, path)
        after = _handler_counts((await anonymous.get("/metrics")).text)
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "app": app}
        scope |= {"headers": []}
        template = routing.get_route_name(Request(scope), should_include_root_path=False)
        key = (template or "none", method, str(response.status_code))
        expected[key] = expected.get(key, 0) + 1
        grew = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
        scrape = ("/metrics", "GET", "200")  # the first scrape, counted once it answered
        wanted = {key: 1.0, scrape: 1.0} if key != scrape else {scrape: 2.0}
        assert grew == wanted, (method, path, grew)
    assert ("none", "GET", "404") in expected
    assert ("/healthz", "DELETE", "405") in expected
