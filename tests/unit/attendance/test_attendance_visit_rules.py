"""Visit rules: open / forgotten visits, new visit times, collisions, check-out."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.domain.visits import (
    check_check_out,
    check_new_visit_times,
    check_no_collision,
    collision_window,
    duration_minutes,
    is_open,
)
from frequenta_kit.errors import Conflict, DomainError, InvalidInput

RULES = GymRules(
    tz=ZoneInfo("America/Sao_Paulo"),
    clock_skew=timedelta(minutes=5),
    max_visit=timedelta(hours=6),
)
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


@dataclass
class StoredVisit:
    id: int
    entered_at: datetime
    exited_at: datetime | None = None


def code_of(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, str | None]:
    return error.value.code, error.value.field


# -- durations and states -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "minutes"),
    [
        (timedelta(seconds=59), 0),
        (timedelta(minutes=1), 1),
        (timedelta(minutes=61, seconds=59, microseconds=999_999), 61),
        (timedelta(hours=6), 360),
    ],
)
def test_duration_is_whole_minutes_rounded_down(length, minutes):
    assert duration_minutes(NOW, NOW + length) == minutes


def test_no_exit_no_duration():
    assert duration_minutes(NOW, None) is None


@pytest.mark.parametrize(
    ("entered", "exited", "open_"),
    [
        (NOW - H, None, True),
        (NOW - 6 * H + M, None, True),
        (NOW - 6 * H, None, False),  # exactly the maximum ago: forgotten
        (NOW - 7 * H, None, False),
        (NOW - H, NOW - M, False),
    ],
)
def test_a_visit_is_open_without_exit_and_younger_than_the_maximum(entered, exited, open_):
    assert is_open(entered, exited, now=NOW, max_visit=RULES.max_visit) is open_


# -- times of a new visit -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "exited"),
    [
        (NOW, None),
        (NOW + 5 * M, None),  # within the skew
        (NOW - 400 * 24 * H, None),  # history
        (NOW - 2 * H, NOW - H),
        (NOW - 6 * H, NOW),  # exactly the maximum
    ],
)
def test_acceptable_visit_times(entered, exited):
    check_new_visit_times(entered, exited, now=NOW, rules=RULES)


@pytest.mark.parametrize(
    ("entered", "exited", "expected"),
    [
        (NOW + 5 * M + timedelta(microseconds=1), None, ("TIMESTAMP_IN_FUTURE", "entered_at")),
        (NOW - H, NOW + 6 * M, ("TIMESTAMP_IN_FUTURE", "exited_at")),
        (NOW - H, NOW - H, ("EXIT_BEFORE_ENTRY", "exited_at")),
        (NOW - H, NOW - 2 * H, ("EXIT_BEFORE_ENTRY", "exited_at")),
        (NOW - 7 * H, NOW - H + timedelta(seconds=1), ("VISIT_TOO_LONG", "exited_at")),
        (datetime(1970, 1, 1, tzinfo=UTC), None, ("VALIDATION_ERROR", "entered_at")),
    ],
)
def test_refused_visit_times(entered, exited, expected):
    with pytest.raises(InvalidInput) as error:
        check_new_visit_times(entered, exited, now=NOW, rules=RULES)
    assert code_of(error) == expected


# -- collisions ------------------------------------------------------------------------------


FINISHED = StoredVisit(1, NOW - 30 * H, NOW - 29 * H)  # yesterday, one hour
OPEN = StoredVisit(2, NOW - H)
FORGOTTEN = StoredVisit(3, NOW - 50 * H)


@pytest.mark.parametrize(
    ("entered", "exited"),
    [
        (FINISHED.exited_at, None),  # back to back: the finished visit ended as this one began
        (FINISHED.entered_at - H, FINISHED.entered_at),  # ends as the stored one begins
        (FORGOTTEN.entered_at + M, FORGOTTEN.entered_at + H),  # a forgotten visit has no span
        (FORGOTTEN.entered_at - M, None),  # an old exit-less entry is a point as well
        (OPEN.entered_at - 2 * H, OPEN.entered_at - H),  # before the open visit
    ],
)
def test_visits_that_do_not_collide(entered, exited):
    check_no_collision([FINISHED, OPEN, FORGOTTEN], entered, exited, now=NOW, rules=RULES)


@pytest.mark.parametrize(
    ("entered", "exited", "code", "visit_id"),
    [
        (NOW, None, "VISIT_ALREADY_OPEN", OPEN.id),  # inside the open visit
        (OPEN.entered_at + M, OPEN.entered_at + H, "VISIT_ALREADY_OPEN", OPEN.id),
        (NOW - 2 * H, None, "VISIT_ALREADY_OPEN", OPEN.id),  # two open visits
        (NOW - 2 * H, NOW - 30 * M, "VISIT_OVERLAPS", OPEN.id),  # would contain the open entry
        (FINISHED.entered_at, None, "VISIT_OVERLAPS", FINISHED.id),
        (FINISHED.exited_at - M, None, "VISIT_OVERLAPS", FINISHED.id),
        (FINISHED.entered_at - 30 * M, FINISHED.entered_at + M, "VISIT_OVERLAPS", FINISHED.id),
        (FORGOTTEN.entered_at, None, "VISIT_OVERLAPS", FORGOTTEN.id),  # same instant
        (FORGOTTEN.entered_at - M, FORGOTTEN.entered_at + M, "VISIT_OVERLAPS", FORGOTTEN.id),
    ],
)
def test_colliding_visits_name_the_stored_visit(entered, exited, code, visit_id):
    with pytest.raises(Conflict) as error:
        check_no_collision([FINISHED, OPEN, FORGOTTEN], entered, exited, now=NOW, rules=RULES)
    assert code_of(error) == (code, "entered_at")
    assert f"visit {visit_id}" in error.value.message


def test_a_new_open_visit_collides_with_any_later_visit():
    later = StoredVisit(9, NOW - 3 * H, NOW - 2 * H)
    with pytest.raises(Conflict) as error:
        check_no_collision([later], NOW - 4 * H, None, now=NOW, rules=RULES)
    assert error.value.code == "VISIT_OVERLAPS"


def test_the_collision_window_covers_every_visit_that_can_collide():
    finished = collision_window(NOW - 3 * H, NOW - 2 * H, now=NOW, rules=RULES)
    assert (finished.since, finished.until) == (NOW - 9 * H - 5 * M, NOW - 2 * H)
    opened = collision_window(NOW - H, None, now=NOW, rules=RULES)
    assert (opened.since, opened.until) == (NOW - 7 * H - 5 * M, None)
    forgotten = collision_window(NOW - 10 * H, None, now=NOW, rules=RULES)
    assert (forgotten.since, forgotten.until) == (NOW - 16 * H - 5 * M, NOW - 10 * H)


# -- check-out ------------------------------------------------------------------------------------


def test_check_out_closes_the_open_visit():
    assert check_check_out(OPEN, 7, NOW, rules=RULES) is OPEN


@pytest.mark.parametrize(
    ("visit", "exited", "expected"),
    [
        (None, NOW, ("NO_OPEN_VISIT", "member_id")),
        (OPEN, OPEN.entered_at, ("EXIT_BEFORE_ENTRY", "exited_at")),
        (OPEN, OPEN.entered_at - M, ("EXIT_BEFORE_ENTRY", "exited_at")),
        (StoredVisit(4, NOW - 6 * H + M), NOW + 2 * M, ("VISIT_TOO_LONG", "exited_at")),
    ],
)
def test_refused_check_outs(visit, exited, expected):
    with pytest.raises(DomainError) as error:
        check_check_out(visit, 7, exited, rules=RULES)
    assert code_of(error) == expected
