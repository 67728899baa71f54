"""A plain reading of serving.rates' definition, one member at a time, from records: the
vectorised computation is checked against it."""

from datetime import datetime, timedelta

from frequenta_churn.ml.records import MemberRecord, VisitRecord


def reference_rates(
    member: MemberRecord, visits: list[VisitRecord], at: datetime
) -> tuple[float, float | None]:
    """(recent, usual) visits per week, rounded as served."""
    recent_start = at - timedelta(days=28)
    usual_start = max(recent_start - timedelta(days=182), member.enrolled_at)
    entries = [v.entered_at for v in visits]
    recent = sum(recent_start <= e < at for e in entries)
    recent_days = max((at - max(member.enrolled_at, recent_start)) / timedelta(days=1), 7)
    usual_days = (recent_start - usual_start) / timedelta(days=1)
    usual = None
    if usual_days >= 14:
        usual = round(sum(usual_start <= e < recent_start for e in entries) / (usual_days / 7), 2)
    return round(recent / (recent_days / 7), 2), usual
