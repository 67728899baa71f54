"""With its database unreachable, attendance answers UNAVAILABLE (retry later), not INTERNAL."""

import grpc
from attendance_support import assert_error, rpc_error

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_attendance.bootstrap import build_server
from frequenta_kit.database import create_engine

# Nothing listens on port 1 of the loopback interface: every connection is refused.
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/frequenta_attendance"


async def test_calls_are_unavailable_while_the_database_is_unreachable(attendance_settings):
    settings = attendance_settings.model_copy(update={"attendance_database_url": UNREACHABLE})
    engine = create_engine(UNREACHABLE)
    server = build_server(settings, engine)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
            for call in (
                stub.GetMember(pb.GetMemberRequest(member_id=1)),
                stub.RecordCheckIn(pb.RecordCheckInRequest(member_id=1)),
                stub.ListPlans(pb.ListPlansRequest()),
            ):
                error = await rpc_error(call)
                assert_error(error, grpc.StatusCode.UNAVAILABLE, "DATABASE_UNAVAILABLE")
            stream = stub.ExportVisits(pb.ExportVisitsRequest())
            error = await rpc_error(_drain(stream))
            assert_error(error, grpc.StatusCode.UNAVAILABLE, "DATABASE_UNAVAILABLE")
    finally:
        await server.stop(grace=0)
        await engine.dispose()


async def _drain(stream) -> None:
    async for _ in stream:
        pass
