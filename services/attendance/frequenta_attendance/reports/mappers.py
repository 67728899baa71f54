"""Daily reports -> protobuf."""

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance.mappers import timestamp
from frequenta_attendance.reports.figures import DailyReport


def daily_report(report: DailyReport) -> pb.DailyReport:
    encoded = pb.DailyReport(
        date=report.day.isoformat(),
        visits=report.visits,
        unique_members=report.unique_members,
        by_hour=[
            pb.HourlyCount(hour=hour, visits=visits)
            for hour, visits in enumerate(report.visits_by_hour)
        ],
        by_plan=[
            pb.PlanCount(plan_code=plan.plan_code, visits=plan.visits)
            for plan in report.visits_by_plan
        ],
        new_members=report.new_members,
        cancellations=report.cancellations,
        generated_at=timestamp(report.generated_at),
    )
    if report.average_visit_minutes is not None:
        encoded.average_visit_minutes = report.average_visit_minutes
    if report.high_risk_members is not None:
        encoded.high_risk_members = report.high_risk_members
    return encoded
