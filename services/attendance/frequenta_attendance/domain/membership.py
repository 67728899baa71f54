"""Membership rules (docs/rules.md, "Memberships" and the member-state part of "Visits")."""

from datetime import datetime
from typing import Protocol

from frequenta_attendance.domain import errors
from frequenta_attendance.domain.enums import CancellationReason
from frequenta_attendance.domain.errors import invalid
from frequenta_attendance.domain.rules import GymRules, not_in_future
from frequenta_attendance.domain.validation import optional_text

MAX_CANCELLATION_NOTE = 1000


class MembershipDates(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def enrolled_at(self) -> datetime: ...
    @property
    def cancelled_at(self) -> datetime | None: ...


def check_can_enter(member: MembershipDates, entered_at: datetime) -> None:
    """An entry must fall within the membership: not before enrollment, not from cancellation on
    (history from before a cancellation is still accepted)."""
    if member.cancelled_at is not None and entered_at >= member.cancelled_at:
        raise errors.membership_cancelled(member.id, member.cancelled_at)
    if entered_at < member.enrolled_at:
        raise errors.before_enrollment(member.id, member.enrolled_at)


def check_cancellation_input(
    *,
    cancelled_at: datetime,
    reason: CancellationReason | None,
    note: str,
    now: datetime,
    rules: GymRules,
) -> tuple[CancellationReason, str | None]:
    """What a cancellation request must carry, whatever the member; returns the reason and the
    cleaned note."""
    if reason is None:
        raise invalid("reason", "a cancellation reason is required")
    cleaned_note = optional_text("note", note, max_length=MAX_CANCELLATION_NOTE, multiline=True)
    not_in_future("cancelled_at", cancelled_at, now=now, rules=rules)
    return reason, cleaned_note


def check_can_cancel(member: MembershipDates, *, cancelled_at: datetime) -> None:
    """Only an active membership can end, and not before it began."""
    if member.cancelled_at is not None:
        raise errors.already_cancelled(member.id, member.cancelled_at)
    if cancelled_at < member.enrolled_at:
        raise errors.cancellation_before_enrollment(member.enrolled_at)
