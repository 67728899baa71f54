"""Helpers of the churn integration tests: a gym's members and visits written into churn's
projection through its unit of work, as the projection worker would."""

from collections.abc import Iterable

from frequenta_churn.ml.records import MemberRecord, VisitRecord
from frequenta_churn.projection.facts import MemberFacts, VisitFacts


async def load_projection(
    uow, members: Iterable[MemberRecord], visits: Iterable[VisitRecord]
) -> None:
    """Every member (a cancelled one with reason "other") and every visit (ids 1, 2, ...)."""
    async with uow() as unit:
        await unit.projection.merge_members(
            MemberFacts(
                m.member_id,
                m.plan_code,
                m.plan_duration_months,
                m.enrolled_at,
                m.cancelled_at,
                "other" if m.cancelled_at else None,
            )
            for m in members
        )
        await unit.projection.merge_visits(
            VisitFacts(n, v.member_id, v.entered_at, v.exited_at)
            for n, v in enumerate(visits, start=1)
        )
        await unit.commit()
