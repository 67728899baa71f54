"""Members' names for a page of ids, from attendance (churn holds no personal data).

One GetMember per id, at most ``CONCURRENCY`` at a time, all within the request's deadline. A
name that cannot be read (attendance away, a member it does not know) is left out: the page is
still answered, with `nome` null, since the ranking is churn's and is right without names.
"""

import asyncio
import logging
from collections.abc import Sequence

import grpc

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub

log = logging.getLogger(__name__)

CONCURRENCY = 32


async def member_names(
    attendance: AttendanceServiceStub, member_ids: Sequence[int], deadline: float
) -> dict[int, str]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def name(member_id: int) -> str:
        async with gate:
            reply = await attendance.GetMember(
                pb.GetMemberRequest(member_id=member_id), timeout=deadline
            )
        return reply.member.name

    found = await asyncio.gather(*(name(m) for m in member_ids), return_exceptions=True)
    names = {}
    failures = []
    for member_id, result in zip(member_ids, found, strict=True):
        if isinstance(result, str):
            names[member_id] = result
        elif isinstance(result, grpc.aio.AioRpcError):
            failures.append(result.code().name)
        else:
            raise result
    if failures:
        log.warning("%d names of the at-risk page unread: %s", len(failures), set(failures))
    return names
