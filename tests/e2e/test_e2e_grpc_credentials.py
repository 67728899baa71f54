"""The stack's gRPC services take internal callers only: a turnstile integration calling
attendance directly without the shared token is refused; with it, the call works (and the
gateway, which sends it on every call, serves the same data)."""

import uuid

import grpc
import httpx
import pytest
from e2e_stack import Stack

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_kit import grpc_channels
from frequenta_kit.grpc_auth import TOKEN_INVALID, TOKEN_MISSING
from frequenta_kit.grpc_errors import describe_rpc_error
from frequenta_sim.login import TokenAuth


async def create_plan(stub: attendance_pb2_grpc.AttendanceServiceStub, code: str):
    request = pb.CreatePlanRequest(code=code, name=f"Plano {code}", duration_months=1)
    return await stub.CreatePlan(request, timeout=10)


async def plan_codes(stack: Stack) -> set[str]:
    auth = TokenAuth(stack.admin_login, stack.admin_password)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=15, auth=auth) as api:
        response = await api.get("/planos")
    assert response.status_code == 200, response.text
    return {plan["codigo"] for plan in response.json()}


async def test_a_direct_call_without_the_token_is_refused_and_with_it_works(
    running_stack: Stack,
) -> None:
    code = f"grpc-{uuid.uuid4().hex[:8]}"
    address = running_stack.attendance_address

    async with grpc.aio.insecure_channel(address) as channel:
        stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await create_plan(stub, code)
    async with grpc_channels.channel(address, token="not-the-stack-token-at-all") as channel:
        stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as wrong:
            await create_plan(stub, code)
    for refused, reason in ((missing, TOKEN_MISSING), (wrong, TOKEN_INVALID)):
        described = describe_rpc_error(refused.value)
        assert (described.status, described.reason) == (grpc.StatusCode.UNAUTHENTICATED, reason)
    assert code not in await plan_codes(running_stack)  # nothing refused was done

    async with grpc_channels.channel(address, token=running_stack.internal_token) as channel:
        stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
        created = await create_plan(stub, code)
    assert created.plan.code == code
    assert code in await plan_codes(running_stack)  # through the gateway
