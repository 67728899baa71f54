"""Erasure of a member's personal data on request (LGPD; docs/personal-data.md)."""

import logging
from dataclasses import dataclass

from frequenta_attendance import events
from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors, personal_data, validation
from frequenta_attendance.models import Member
from frequenta_attendance.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erasure:
    member: Member
    # True when an earlier call had erased it already: nothing changed, no event written.
    already_erased: bool


async def erase_member_personal_data(
    *, uow: UnitOfWork, clock: Clock, member_id: int, reason: str
) -> Erasure:
    """Replace the member's personal data with placeholders and write the
    ``member.personal_data_erased`` event, in one transaction; the member row, plan, dates and
    visits stay. The member's own REST users are disabled and their logins replaced.
    Idempotent: an erased member is answered as it is."""
    validation.entity_id("member_id", member_id)
    clean_reason = validation.optional_text(
        "reason", reason, max_length=personal_data.MAX_ERASURE_REASON
    )
    async with uow:
        member = await uow.members.get(member_id, for_update=True)
        if member is None:
            raise errors.member_not_found(member_id)
        if member.personal_data_erased_at is not None:
            return Erasure(member, already_erased=True)
        personal_data.erase(member, erased_at=clock(), reason=clean_reason)
        for user in await uow.users.of_member(member.id, for_update=True):
            personal_data.close_login(user, member_id=member.id)
        uow.outbox.add(events.member_personal_data_erased(member))
        await uow.commit()
    log.info("personal data of member %s erased", member.id)
    return Erasure(member, already_erased=False)
