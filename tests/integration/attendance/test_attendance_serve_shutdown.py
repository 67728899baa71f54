"""``python -m frequenta_attendance serve`` as a real process: on SIGTERM it stops taking calls,
lets the call in flight finish, and exits 0."""

import asyncio
import os
import re
import signal
import sys

import grpc
from attendance_support import rpc_error
from grpc_health.v1 import health_pb2, health_pb2_grpc
from integration_support import ANY_METRICS_PORT
from sqlalchemy import text

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import attendance_pb2_grpc

LISTENING = re.compile(rb"gRPC server listening on (\S+:\d+)")


async def start_server(database_url: str, cwd) -> tuple[asyncio.subprocess.Process, str]:
    env = dict(
        os.environ,
        FREQUENTA_ATTENDANCE_DATABASE_URL=database_url,
        FREQUENTA_ATTENDANCE_GRPC_PORT="0",
        FREQUENTA_SHUTDOWN_GRACE_SECONDS="20",
        FREQUENTA_LOG_JSON="false",
        FREQUENTA_METRICS_PORTS=ANY_METRICS_PORT,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "frequenta_attendance",
        "serve",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(30):
        async for line in process.stdout:
            if match := LISTENING.search(line):
                return process, match.group(1).decode()
    raise AssertionError(f"the server exited with {await process.wait()} before listening")


async def test_sigterm_drains_the_call_in_flight_then_exits_zero(
    attendance, attendance_database_url, attendance_engine, register_member, poll, tmp_path
):
    member = await register_member()
    process, address = await start_server(attendance_database_url, tmp_path)
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
            health = health_pb2_grpc.HealthStub(channel)
            assert (await health.Check(health_pb2.HealthCheckRequest())).status == (
                health_pb2.HealthCheckResponse.SERVING
            )
            async with attendance_engine.connect() as blocker:
                # Hold the member's row so the check-in below stays in flight.
                transaction = await blocker.begin()
                await blocker.execute(
                    text("SELECT 1 FROM alunos WHERE id = :id FOR UPDATE"), {"id": member.id}
                )
                in_flight = asyncio.ensure_future(
                    stub.RecordCheckIn(pb.RecordCheckInRequest(member_id=member.id))
                )
                await poll(
                    lambda: lock_waiters(attendance_engine),
                    within=10,
                    what="the check-in to wait on the row lock",
                )
                process.send_signal(signal.SIGTERM)
                await poll(lambda: stopped_serving(health), within=10, what="NOT_SERVING")
                refused = await rpc_error(
                    stub.GetMember(pb.GetMemberRequest(member_id=member.id), timeout=5)
                )
                # Refused, not run: UNAVAILABLE, or CANCELLED when the call reached the server
                # as it stopped (a race of the transport; the gateway answers both with 503).
                assert refused.status in {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}
                await transaction.commit()
            response = await in_flight
            assert response.visit.member_id == member.id and not response.replayed
        async with asyncio.timeout(20):
            output = await process.stdout.read()
            assert await process.wait() == 0, output.decode()
        assert b"shutdown signal received" in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def lock_waiters(engine) -> bool:
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


async def stopped_serving(health: health_pb2_grpc.HealthStub) -> bool:
    try:
        answer = await health.Check(health_pb2.HealthCheckRequest(), timeout=2)
    except grpc.aio.AioRpcError:
        return True  # already refusing new calls
    return answer.status != health_pb2.HealthCheckResponse.SERVING
