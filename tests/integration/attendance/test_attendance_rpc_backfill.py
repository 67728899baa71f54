"""Turnstile backfill through RecordCheckIn: history buffered while offline arrives late, out of
order and partly twice, each entry with its original instant and its device key. The stored
visits keep those instants, the re-sent ones are replays, and GetAttendance's summary and weekly
series count every visit once, in the week it happened (docs/rules.md, "Attendance summary")."""

import random
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from attendance_support import instant, now, ts

from frequenta.attendance.v1 import attendance_pb2 as pb

GYM = ZoneInfo("America/Sao_Paulo")  # the tests' server setting

# The device's log: (days ago, minutes of the visit). Away from the 28-day boundary of
# visits_per_week; 100 days ago is before the default 12-week range.
LOG = [(3, 50), (5, 65), (8, 40), (12, 75), (15, 30), (22, 90), (35, 45), (50, 60), (100, 80)]


def local_week(entered: datetime) -> date:
    day = entered.astimezone(GYM).date()
    return day - timedelta(days=day.weekday())


def local_days_between(earlier: datetime, later: datetime) -> int:
    return (later.astimezone(GYM).date() - earlier.astimezone(GYM).date()).days


def check_in(member_id: int, entered: datetime, minutes: int, key: str) -> pb.RecordCheckInRequest:
    return pb.RecordCheckInRequest(
        member_id=member_id,
        entered_at=ts(entered),
        exited_at=ts(entered + timedelta(minutes=minutes)),
        source=pb.CHECK_IN_SOURCE_TURNSTILE,
        device_id="catraca-03",
        idempotency_key=key,
    )


async def test_late_out_of_order_and_repeated_history_is_summarised_once(
    attendance, register_member
):
    member = await register_member()
    base = now().replace(microsecond=0)
    device = f"catraca-03:{uuid.uuid4().hex[:8]}"
    log = [
        (base - timedelta(days=days, hours=2), minutes, f"{device}:{n}")
        for n, (days, minutes) in enumerate(LOG)
    ]

    # The front desk recorded today's visit live, before the turnstile's log came in.
    live = await attendance.RecordCheckIn(
        pb.RecordCheckInRequest(member_id=member.id, entered_at=ts(base - timedelta(hours=1)))
    )
    before = (await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))).summary
    assert before.total_visits == 1

    shuffled = random.Random(7).sample(log, len(log))
    assert shuffled != sorted(shuffled, reverse=True), "not in order"
    for entered, minutes, key in shuffled:
        reply = await attendance.RecordCheckIn(check_in(member.id, entered, minutes, key))
        assert not reply.replayed
        assert instant(reply.visit.entered_at) == entered  # the original instant, not now
    for entered, minutes, key in shuffled[::3]:  # the device re-sends part of its log
        reply = await attendance.RecordCheckIn(check_in(member.id, entered, minutes, key))
        assert reply.replayed

    response = await attendance.GetAttendance(
        pb.GetAttendanceRequest(member_id=member.id, page_size=200)
    )
    summary = response.summary
    live_entry = instant(live.visit.entered_at)
    entries = [live_entry] + [entered for entered, _, _ in log]
    assert summary.total_visits == len(entries) == 10
    recent = [e for e in entries if e > base - timedelta(days=28)]
    assert summary.visits_per_week_last_4_weeks == pytest.approx(len(recent) / 4)
    assert instant(summary.last_visit_at) == live_entry  # still the latest
    assert summary.days_since_last_visit == local_days_between(live_entry, base)
    # The live visit is open, so without a duration; every backfilled one has its own.
    assert summary.average_visit_minutes == pytest.approx(sum(m for _, m, _ in log) / len(log))

    # The visit list: every visit of the range once, newest first, at its original instant.
    first_day = date.fromisoformat(response.from_date)
    in_range = sorted((e for e in entries if e.astimezone(GYM).date() >= first_day), reverse=True)
    assert [instant(v.entered_at) for v in response.visits] == in_range
    assert response.total_in_range == len(in_range) == 9

    # The weekly series: each visit in the local week it happened, not the week it arrived.
    expected = {date.fromisoformat(w.week_start): 0 for w in summary.weekly}
    for entered in in_range:
        expected[local_week(entered)] += 1
    assert {date.fromisoformat(w.week_start): w.visits for w in summary.weekly} == expected
    assert sum(w.visits for w in summary.weekly) == 9
    assert sum(1 for count in expected.values() if count) >= 6  # spread over past weeks


async def test_backfill_reaching_further_back_shows_in_an_explicit_range(
    attendance, register_member
):
    """The visit from 100 days ago is outside the default range, inside a range asked for."""
    member = await register_member()
    base = now().replace(microsecond=0)
    old = base - timedelta(days=100)
    key = f"catraca-03:{uuid.uuid4().hex[:8]}:old"
    await attendance.RecordCheckIn(check_in(member.id, old, 80, key))
    start = (old.astimezone(GYM) - timedelta(days=3)).date()
    response = await attendance.GetAttendance(
        pb.GetAttendanceRequest(
            member_id=member.id,
            from_date=start.isoformat(),
            to_date=(start + timedelta(days=13)).isoformat(),
        )
    )
    assert [instant(v.entered_at) for v in response.visits] == [old]
    weekly = {date.fromisoformat(w.week_start): w.visits for w in response.summary.weekly}
    assert weekly[local_week(old)] == 1 and sum(weekly.values()) == 1
    assert response.summary.days_since_last_visit == local_days_between(old, base)
    assert instant(response.summary.last_visit_at) == old
