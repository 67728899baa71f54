"""Members' names for a page of ids, from attendance (churn holds no personal data).

One ListMembers call filtered by the page's ids (at most 200, the page size's bound), within the
request's deadline. If attendance cannot answer, the page is still given with `nome` null: the
ranking is churn's and is right without names.
"""

import logging
from collections.abc import Sequence

import grpc

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub

log = logging.getLogger(__name__)


async def member_names(
    attendance: AttendanceServiceStub, member_ids: Sequence[int], deadline: float
) -> dict[int, str]:
    if not member_ids:
        return {}
    request = pb.ListMembersRequest(
        member_ids=list(member_ids),
        status=pb.MEMBER_STATUS_FILTER_ALL,
        page_size=len(member_ids),
    )
    try:
        reply = await attendance.ListMembers(request, timeout=deadline)
    except grpc.aio.AioRpcError as error:
        log.warning("names of the at-risk page unread: %s %s", error.code().name, error.details())
        return {}
    return {member.id: member.name for member in reply.members}
