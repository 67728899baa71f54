"""Membership rules: which entries a membership admits, and what a cancellation needs."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frequenta_attendance.domain.enums import CancellationReason
from frequenta_attendance.domain.membership import (
    check_can_cancel,
    check_can_enter,
    check_cancellation_input,
)
from frequenta_attendance.domain.rules import GymRules
from frequenta_kit.errors import Conflict, DomainError, InvalidInput

RULES = GymRules(ZoneInfo("America/Sao_Paulo"), timedelta(minutes=5), timedelta(hours=6))
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@dataclass
class Membership:
    id: int
    enrolled_at: datetime
    cancelled_at: datetime | None = None


ACTIVE = Membership(1, NOW - 100 * DAY)
CANCELLED = Membership(2, NOW - 100 * DAY, NOW - 10 * DAY)


@pytest.mark.parametrize(
    ("member", "entered"),
    [
        (ACTIVE, ACTIVE.enrolled_at),
        (ACTIVE, NOW),
        (CANCELLED, CANCELLED.cancelled_at - timedelta(microseconds=1)),
    ],
)
def test_entries_within_the_membership(member, entered):
    check_can_enter(member, entered)


@pytest.mark.parametrize(
    ("member", "entered", "code"),
    [
        (ACTIVE, ACTIVE.enrolled_at - timedelta(seconds=1), "BEFORE_ENROLLMENT"),
        (CANCELLED, CANCELLED.cancelled_at, "MEMBERSHIP_CANCELLED"),
        (CANCELLED, NOW, "MEMBERSHIP_CANCELLED"),
    ],
)
def test_entries_outside_the_membership(member, entered, code):
    with pytest.raises(Conflict) as error:
        check_can_enter(member, entered)
    assert (error.value.code, error.value.field) == (code, "entered_at")


def test_a_cancellation_with_reason_and_note():
    reason, note = check_cancellation_input(
        cancelled_at=NOW,
        reason=CancellationReason.OTHER,
        note="  mudou de cidade\n ",
        now=NOW,
        rules=RULES,
    )
    assert (reason, note) == (CancellationReason.OTHER, "mudou de cidade")
    _, empty = check_cancellation_input(
        cancelled_at=NOW, reason=CancellationReason.PRICE, note="  ", now=NOW, rules=RULES
    )
    assert empty is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"reason": None}, ("VALIDATION_ERROR", "reason")),
        ({"note": "x" * 1001}, ("VALIDATION_ERROR", "note")),
        ({"note": "nul\x00"}, ("VALIDATION_ERROR", "note")),
        ({"cancelled_at": NOW + timedelta(minutes=6)}, ("TIMESTAMP_IN_FUTURE", "cancelled_at")),
    ],
)
def test_refused_cancellation_input(fields, expected):
    request = {"cancelled_at": NOW, "reason": CancellationReason.PRICE, "note": ""} | fields
    with pytest.raises(InvalidInput) as error:
        check_cancellation_input(now=NOW, rules=RULES, **request)
    assert (error.value.code, error.value.field) == expected


def test_a_note_of_exactly_1000_characters_is_accepted():
    _, note = check_cancellation_input(
        cancelled_at=NOW, reason=CancellationReason.HEALTH, note="é" * 1000, now=NOW, rules=RULES
    )
    assert note is not None and len(note) == 1000


@pytest.mark.parametrize(
    ("member", "cancelled_at", "code"),
    [
        (CANCELLED, NOW, "ALREADY_CANCELLED"),
        (ACTIVE, ACTIVE.enrolled_at - timedelta(seconds=1), "CANCELLATION_BEFORE_ENROLLMENT"),
    ],
)
def test_refused_cancellations(member, cancelled_at, code):
    with pytest.raises(DomainError) as error:
        check_can_cancel(member, cancelled_at=cancelled_at)
    assert error.value.code == code


def test_a_membership_may_end_the_instant_it_began():
    check_can_cancel(ACTIVE, cancelled_at=ACTIVE.enrolled_at)
