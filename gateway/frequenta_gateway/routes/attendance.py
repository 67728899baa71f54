"""A member's attendance history and summary."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from frequenta_gateway import mappers
from frequenta_gateway.auth.policies import OWN_MEMBER, STAFF, PolicyFirstRoute, allow
from frequenta_gateway.cache import CacheDep
from frequenta_gateway.clients import AttendanceDep, DeadlineDep
from frequenta_gateway.routes import MemberIdPath
from frequenta_gateway.schemas.attendance import Attendance
from frequenta_gateway.schemas.common import INT32_MAX, CalendarDate
from frequenta_gateway.schemas.errors import error_responses

router = APIRouter(tags=["frequencia"], route_class=PolicyFirstRoute)

PATH = "/aluno/{id:int}/frequencia"


@router.get(
    PATH,
    response_model=Attendance,
    summary="Attendance history and summary",
    response_description="Summary, weekly series and a page of visits.",
    responses=error_responses(404, 422),
    dependencies=[allow(*STAFF, OWN_MEMBER)],
)
async def get_attendance(
    id: MemberIdPath,
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    cache: CacheDep,
    data_inicio: Annotated[
        CalendarDate | None,
        Query(description="First local date (YYYY-MM-DD); default 12 weeks before `data_fim`."),
    ] = None,
    data_fim: Annotated[
        CalendarDate | None, Query(description="Last local date (YYYY-MM-DD); default today.")
    ] = None,
    pagina: Annotated[int, Query(ge=1, le=INT32_MAX, description="1-based page of visits.")] = 1,
    tamanho: Annotated[int, Query(ge=1, le=200, description="Visits per page, up to 200.")] = 50,
) -> Response:
    """Summary as of now (visits per week over the last 4 weeks, days since the last visit,
    average duration, total), the weekly series and a page of the visits of the date range.
    404 `MEMBER_NOT_FOUND`. Cached (docs/cache.md): never older than the member's last change."""

    async def answer() -> Attendance:
        request = mappers.attendance_request(
            id, start=data_inicio, end=data_fim, page=pagina, size=tamanho
        )
        reply = await attendance.GetAttendance(request, timeout=deadline)
        return mappers.attendance_out(reply, page=pagina, size=tamanho)

    return await cache.attendance(
        id, answer, data_inicio=data_inicio, data_fim=data_fim, pagina=pagina, tamanho=tamanho
    )
