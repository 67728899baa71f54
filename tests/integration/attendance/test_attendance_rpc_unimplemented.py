"""The RPCs a later issue builds answer UNIMPLEMENTED (the generated base class), not a fake."""

import grpc
import pytest
from attendance_support import rpc_error

from frequenta.attendance.v1 import attendance_pb2 as pb


@pytest.mark.parametrize(
    ("method", "request_message"),
    [
        ("SubmitCheckInBatch", pb.SubmitCheckInBatchRequest()),
        ("GetCheckInBatch", pb.GetCheckInBatchRequest(job_id="x")),
    ],
)
async def test_unbuilt_unary_rpcs_are_unimplemented(attendance, method, request_message):
    error = await rpc_error(getattr(attendance, method)(request_message))
    assert error.status == grpc.StatusCode.UNIMPLEMENTED


async def test_streamed_check_ins_are_unimplemented(attendance):
    async def events():
        yield pb.TurnstileEvent(kind=pb.TURNSTILE_EVENT_KIND_ENTRY, member_id=1)

    error = await rpc_error(attendance.StreamCheckIns(events()))
    assert error.status == grpc.StatusCode.UNIMPLEMENTED
