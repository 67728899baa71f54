"""Daily attendance reports: queue a build, read one (JSON or CSV), list a range."""

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response, status

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway import report_formats
from frequenta_gateway.auth.policies import STAFF, PolicyFirstRoute, allow
from frequenta_gateway.clients import AttendanceDep, DeadlineDep
from frequenta_gateway.rate_limits import WRITES
from frequenta_gateway.schemas.common import CalendarDate
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.reports import (
    CSV_EXAMPLE,
    DailyReport,
    DailyReportList,
    QueuedReport,
    ReportRequest,
)

# Writes are rate-limited (after the policy, so they count against the caller's login).
router = APIRouter(tags=["relatorios"], route_class=PolicyFirstRoute, dependencies=[WRITES])

Format = Literal["json", "csv"]
FormatQuery = Annotated[
    Format | None,
    Query(description="`csv` or `json`; overrides the `Accept` header. Default JSON."),
]
AcceptHeader = Annotated[
    str | None, Header(description="`text/csv` for CSV; anything else gives JSON.")
]
DatePath = Annotated[CalendarDate, Path(description="Local date (YYYY-MM-DD).")]

CSV_RESPONSE = {
    "text/csv": {
        "schema": {"type": "string"},
        "example": CSV_EXAMPLE,
    }
}


def _quality(accept: str, media_type: str) -> float:
    """The q-value ``accept`` gives ``media_type`` when named explicitly; 0 if not named."""
    best = 0.0
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        if media.lower() != media_type:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best = max(best, quality)
    return best


def wants_csv(formato: Format | None, accept: str | None) -> bool:
    """CSV when asked by `formato=csv`, or by an Accept header that names text/csv at least as
    strongly as application/json."""
    if formato is not None:
        return formato == "csv"
    if not accept:
        return False
    csv_quality = _quality(accept, "text/csv")
    return csv_quality > 0 and csv_quality >= _quality(accept, "application/json")


def _csv(rows: list[DailyReport], filename: str) -> Response:
    return Response(
        report_formats.to_csv(rows),
        media_type=report_formats.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Vary": "Accept"},
    )


@router.post(
    "/relatorios/diarios",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=QueuedReport,
    summary="Build a daily report",
    response_description="The build job, queued; the report is readable once built.",
    responses=error_responses(422),
    dependencies=[allow(*STAFF)],
)
async def request_daily_report(
    response: Response,
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    body: ReportRequest | None = None,
) -> QueuedReport:
    """Queues the build of one local date's report (default yesterday) and answers 202 at once.
    Building a date again replaces its report. 422 `REPORT_DATE_IN_FUTURE` for a date after
    today."""
    day = body.data if body is not None else None
    request = pb.GenerateDailyReportRequest(date=day.isoformat() if day else "")
    reply = await attendance.GenerateDailyReport(request, timeout=deadline)
    response.headers["Location"] = f"/relatorios/diarios/{reply.date}"
    return report_formats.queued_out(reply)


@router.get(
    "/relatorios/diarios/{data}",
    response_model=DailyReport,
    summary="A daily report",
    response_description="The stored report, as JSON or CSV.",
    responses={200: {"content": CSV_RESPONSE}, **error_responses(404, 422)},
    dependencies=[allow(*STAFF)],
)
async def get_daily_report(
    data: DatePath,
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    formato: FormatQuery = None,
    accept: AcceptHeader = None,
) -> DailyReport | Response:
    """The report of a local date as JSON, or CSV (one header row, one data row) with
    `Accept: text/csv` or `?formato=csv`. 404 `REPORT_NOT_FOUND` until that date is built."""
    request = pb.GetDailyReportRequest(date=data.isoformat())
    reply = await attendance.GetDailyReport(request, timeout=deadline)
    report = report_formats.report_out(reply.report)
    if wants_csv(formato, accept):
        return _csv([report], f"relatorio-diario-{data.isoformat()}.csv")
    return report


@router.get(
    "/relatorios/diarios",
    response_model=DailyReportList,
    summary="Daily reports of a date range",
    response_description="The reports built in the range, newest first, as JSON or CSV.",
    responses={200: {"content": CSV_RESPONSE}, **error_responses(422)},
    dependencies=[allow(*STAFF)],
)
async def list_daily_reports(
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    data_inicio: Annotated[
        CalendarDate | None,
        Query(description="First local date (YYYY-MM-DD); default 30 days before `data_fim`."),
    ] = None,
    data_fim: Annotated[
        CalendarDate | None, Query(description="Last local date (YYYY-MM-DD); default today.")
    ] = None,
    formato: FormatQuery = None,
    accept: AcceptHeader = None,
) -> DailyReportList | Response:
    """The stored reports from `data_inicio` to `data_fim` (both included, at most 366 days),
    newest first; dates not built yet are absent. CSV: one row per report."""
    request = pb.ListDailyReportsRequest(
        from_date=data_inicio.isoformat() if data_inicio else "",
        to_date=data_fim.isoformat() if data_fim else "",
    )
    reply = await attendance.ListDailyReports(request, timeout=deadline)
    found = [report_formats.report_out(report) for report in reply.reports]
    if wants_csv(formato, accept):
        return _csv(found, "relatorios-diarios.csv")
    return DailyReportList(relatorios=found)
