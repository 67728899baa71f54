"""Plans the gym sells."""

import logging
from collections.abc import Sequence
from decimal import Decimal

from frequenta_attendance.domain import validation
from frequenta_attendance.models import Plan
from frequenta_attendance.uow import UnitOfWork

log = logging.getLogger(__name__)


async def list_plans(*, uow: UnitOfWork, include_inactive: bool) -> Sequence[Plan]:
    async with uow:
        return await uow.plans.list(include_inactive=include_inactive)


async def create_plan(
    *, uow: UnitOfWork, code: str, name: str, duration_months: int, price_cents: int
) -> Plan:
    plan = Plan(
        code=validation.plan_code(code),
        name=validation.plan_name(name),
        duration_months=validation.duration_months(duration_months),
        price=Decimal(validation.price_cents(price_cents)) / 100,
        active=True,
    )
    async with uow:
        await uow.plans.add(plan)
        await uow.commit()
    log.info("plan %s (%s) created", plan.id, plan.code)
    return plan
