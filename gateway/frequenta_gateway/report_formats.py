"""Daily reports: proto -> REST schema, and the CSV rendering of one or more reports.

CSV: one row per report, comma-separated, CRLF line ends, a header row. Columns: the figures,
then `hora_00` to `hora_23`, then `plano_<code>` for every plan that has entries in any of the
reports (0 where a report has none); an empty `media_duracao_minutos` means no visit had an
exit.
"""

import csv
import io
from collections.abc import Sequence
from datetime import UTC

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway.mappers import instant
from frequenta_gateway.schemas import reports

FIGURES = (
    "data",
    "visitas",
    "alunos_unicos",
    "media_duracao_minutos",
    "novos_alunos",
    "cancelamentos",
    "alunos_risco_alto",
    "gerado_em",
)
HOURS = tuple(f"hora_{hour:02d}" for hour in range(24))
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def queued_out(reply: pb.GenerateDailyReportResponse) -> reports.QueuedReport:
    return reports.QueuedReport(job_id=reply.job_id, data=reply.date)  # type: ignore[arg-type]


def report_out(report: pb.DailyReport) -> reports.DailyReport:
    generated_at = instant(report, "generated_at")
    assert generated_at is not None, "a stored report always has its build instant"
    return reports.DailyReport(
        data=report.date,  # type: ignore[arg-type]
        visitas=report.visits,
        alunos_unicos=report.unique_members,
        visitas_por_hora=[
            reports.HourCount(hora=count.hour, visitas=count.visits) for count in report.by_hour
        ],
        visitas_por_plano=[
            reports.PlanCount(plano=count.plan_code, visitas=count.visits)
            for count in report.by_plan
        ],
        media_duracao_minutos=(
            report.average_visit_minutes if report.HasField("average_visit_minutes") else None
        ),
        novos_alunos=report.new_members,
        cancelamentos=report.cancellations,
        alunos_risco_alto=(
            report.high_risk_members if report.HasField("high_risk_members") else None
        ),
        gerado_em=generated_at,
    )


def _figures(report: reports.DailyReport) -> list[object]:
    average = report.media_duracao_minutos
    return [
        report.data.isoformat(),
        report.visitas,
        report.alunos_unicos,
        "" if average is None else repr(average),
        report.novos_alunos,
        report.cancelamentos,
        "" if report.alunos_risco_alto is None else report.alunos_risco_alto,
        report.gerado_em.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    ]


def to_csv(rows: Sequence[reports.DailyReport]) -> str:
    plans = sorted({count.plano for report in rows for count in report.visitas_por_plano})
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: CRLF line ends, quotes only where needed
    writer.writerow([*FIGURES, *HOURS, *(f"plano_{code}" for code in plans)])
    for report in rows:
        by_hour = {count.hora: count.visitas for count in report.visitas_por_hora}
        by_plan = {count.plano: count.visitas for count in report.visitas_por_plano}
        writer.writerow(
            [
                *_figures(report),
                *(by_hour.get(hour, 0) for hour in range(24)),
                *(by_plan.get(code, 0) for code in plans),
            ]
        )
    return out.getvalue()
