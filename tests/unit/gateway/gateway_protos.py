"""Replies the fake stubs give: protos as the real services build them."""

from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.churn.v1 import churn_pb2


def ts(text: str) -> Timestamp:
    stamp = Timestamp()
    stamp.FromJsonString(text)
    return stamp


PLAN = pb.Plan(
    id=1, code="mensal", name="Plano Mensal", duration_months=1, price_cents=11990, active=True
)


def member(member_id: int = 42, **changes) -> pb.Member:
    fields = dict(
        id=member_id,
        name="Ana Souza",
        email="ana@example.com",
        plan=PLAN,
        enrolled_at=ts("2025-01-06T12:30:00Z"),
        active=True,
    )
    fields.update(changes)
    return pb.Member(**fields)


def visit(**changes) -> pb.Visit:
    fields = dict(
        id=1001,
        member_id=42,
        entered_at=ts("2025-03-10T10:15:00Z"),
        source=pb.CHECK_IN_SOURCE_FRONT_DESK,
    )
    fields.update(changes)
    return pb.Visit(**fields)


def attendance_reply(member_id: int = 42) -> pb.GetAttendanceResponse:
    return pb.GetAttendanceResponse(
        member_id=member_id,
        summary=pb.AttendanceSummary(
            total_visits=1,
            visits_per_week_last_4_weeks=0.25,
            days_since_last_visit=2,
            last_visit_at=ts("2025-03-10T10:15:00Z"),
            as_of=ts("2025-03-12T15:00:00Z"),
            weekly=[pb.WeeklyCount(week_start="2025-03-10", visits=1)],
        ),
        visits=[visit()],
        total_in_range=1,
        from_date="2024-12-16",
        to_date="2025-03-12",
    )


def churn_risk(member_id: int = 42, probability: float = 0.81, **changes) -> churn_pb2.ChurnRisk:
    fields = dict(
        member_id=member_id,
        probability=probability,
        band=churn_pb2.RISK_BAND_HIGH,
        factors=[
            churn_pb2.RiskFactor(
                factor="absence",
                feature="days_since_last_visit",
                value=21,
                weight=0.9,
                direction=churn_pb2.FACTOR_DIRECTION_INCREASES_RISK,
                description="21 dias sem vir à academia; o intervalo habitual é de 3 dias",
            ),
            churn_pb2.RiskFactor(
                factor="plan_renewal",
                feature="days_to_plan_end",
                value=9,
                weight=0.4,
                direction=churn_pb2.FACTOR_DIRECTION_INCREASES_RISK,
                description="plano mensal; o ciclo atual termina em 9 dias",
            ),
        ],
        recommendations=["Ligar para o aluno"],
        model_version="v1",
        horizon_days=30,
        computed_at=ts("2025-03-12T15:00:00Z"),
        plan_code="mensal",
        tenure_days=65,
        last_visit_at=ts("2025-02-19T10:15:00Z"),
    )
    fields.update(changes)
    return churn_pb2.ChurnRisk(**fields)


def churn_reply(member_id: int = 42) -> churn_pb2.GetChurnRiskResponse:
    return churn_pb2.GetChurnRiskResponse(risk=churn_risk(member_id))
