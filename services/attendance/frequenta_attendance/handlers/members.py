"""Members: registration, lookup, listing and cancellation."""

import logging
from collections.abc import Sequence
from datetime import datetime

from frequenta_attendance import events
from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors, membership, personal_data, validation
from frequenta_attendance.domain.calendar import local_date
from frequenta_attendance.domain.enums import CancellationReason, MemberStatus
from frequenta_attendance.domain.rules import GymRules, not_in_future
from frequenta_attendance.models import Member
from frequenta_attendance.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 200


async def register_member(
    *,
    uow: UnitOfWork,
    clock: Clock,
    rules: GymRules,
    name: str,
    email: str,
    phone: str,
    birth_date: str,
    plan_id: int,
    enrolled_at: datetime | None,
) -> Member:
    now = clock()
    member = Member(
        name=validation.member_name(name),
        email=validation.email_address(email),
        phone=validation.phone_number(phone),
        birth_date=validation.birth_date(birth_date, today=local_date(now, rules.tz)),
        plan_id=validation.entity_id("plan_id", plan_id),
        enrolled_at=not_in_future("enrolled_at", enrolled_at or now, now=now, rules=rules),
        active=True,
    )
    async with uow:
        plan = await uow.plans.get(plan_id)
        if plan is None:
            raise errors.plan_not_found(plan_id)
        if not plan.active:
            raise errors.plan_inactive(plan.id, plan.code)
        if await uow.members.email_taken(member.email):
            raise errors.email_taken()
        member.plan = plan
        # A concurrent registration of the same e-mail loses on the unique index instead.
        await uow.members.add(member)
        uow.outbox.add(events.member_registered(member))
        await uow.commit()
    log.info("member %s registered on plan %s", member.id, plan.code)
    return member


async def get_member(*, uow: UnitOfWork, member_id: int) -> Member:
    validation.entity_id("member_id", member_id)
    async with uow:
        member = await uow.members.get(member_id)
    if member is None:
        raise errors.member_not_found(member_id)
    return member


async def list_members(
    *,
    uow: UnitOfWork,
    plan_id: int,
    status: MemberStatus,
    query: str,
    page: int,
    page_size: int,
    member_ids: Sequence[int] = (),
) -> tuple[Sequence[Member], int]:
    """A page of members matching the filters, newest enrollment first, and the total."""
    if plan_id < 0:
        raise errors.invalid("plan_id", "plan_id must be positive (0 means any plan)")
    if len(member_ids) > validation.MAX_PAGE_SIZE:
        raise errors.invalid(
            "member_ids", f"at most {validation.MAX_PAGE_SIZE} member_ids in one request"
        )
    text = validation.optional_text("query", query, max_length=MAX_QUERY_LENGTH)
    selected = validation.page(page, page_size)
    async with uow:
        return await uow.members.search(
            plan_id=plan_id or None,
            status=status,
            text=text,
            page=selected,
            member_ids=list(member_ids) or None,
        )


async def cancel_membership(
    *,
    uow: UnitOfWork,
    clock: Clock,
    rules: GymRules,
    member_id: int,
    cancelled_at: datetime | None,
    reason: CancellationReason | None,
    note: str,
) -> Member:
    validation.entity_id("member_id", member_id)
    now = clock()
    ended_at = cancelled_at or now
    valid_reason, clean_note = membership.check_cancellation_input(
        cancelled_at=ended_at, reason=reason, note=note, now=now, rules=rules
    )
    async with uow:
        member = await uow.members.get(member_id, for_update=True)
        if member is None:
            raise errors.member_not_found(member_id)
        membership.check_can_cancel(member, cancelled_at=ended_at)
        personal_data.check_note_allowed(member, clean_note)
        member.active = False
        member.cancelled_at = ended_at
        member.cancellation_reason = valid_reason
        member.cancellation_note = clean_note
        uow.outbox.add(events.membership_cancelled(member))
        await uow.commit()
    log.info("membership of member %s cancelled (%s)", member.id, member.cancellation_reason)
    return member
