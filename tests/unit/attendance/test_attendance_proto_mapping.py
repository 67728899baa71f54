"""Proto <-> domain mapping: decoding refuses what cannot be decoded; encoding sets optional
fields only when the value exists."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance import mappers
from frequenta_attendance.domain.enums import CancellationReason, CheckInSource, MemberStatus
from frequenta_attendance.models import Member, Plan, Visit
from frequenta_kit.errors import InvalidInput

ENTERED = datetime(2026, 3, 4, 15, 0, 0, 123456, tzinfo=UTC)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def test_instants_are_aware_utc_and_unset_is_none():
    request = pb.RecordCheckInRequest()
    assert mappers.instant(request, "entered_at") is None
    request.entered_at.CopyFrom(mappers.timestamp(ENTERED))
    assert mappers.instant(request, "entered_at") == ENTERED


@pytest.mark.parametrize(("seconds", "nanos"), [(10**13, 0), (0, -1), (0, 10**9)])
def test_malformed_timestamps_are_refused(seconds, nanos):
    request = pb.RecordCheckInRequest()
    request.exited_at.seconds, request.exited_at.nanos = seconds, nanos
    with pytest.raises(InvalidInput) as error:
        mappers.instant(request, "exited_at")
    assert error.value.field == "exited_at"


def test_every_proto_reason_and_source_has_a_domain_value():
    for number in pb.CancellationReason.values():
        decoded = mappers.cancellation_reason(number)
        assert decoded is None if number == 0 else isinstance(decoded, CancellationReason)
    assert mappers.cancellation_reason(pb.CANCELLATION_REASON_NO_TIME) == (
        CancellationReason.NO_TIME
    )
    assert mappers.check_in_source(pb.CHECK_IN_SOURCE_TURNSTILE) == CheckInSource.TURNSTILE
    assert mappers.check_in_source(pb.CHECK_IN_SOURCE_UNSPECIFIED) is None
    assert len({mappers.cancellation_reason(n) for n in pb.CancellationReason.values()}) == 10


@pytest.mark.parametrize(
    ("decode", "field"),
    [
        (mappers.cancellation_reason, "reason"),
        (mappers.check_in_source, "source"),
        (mappers.member_status, "status"),
    ],
)
def test_unknown_enum_numbers_are_refused(decode, field):
    with pytest.raises(InvalidInput) as error:
        decode(99)
    assert error.value.field == field


def test_member_status_defaults_to_all():
    assert mappers.member_status(pb.MEMBER_STATUS_FILTER_UNSPECIFIED) is MemberStatus.ALL
    assert mappers.member_status(pb.MEMBER_STATUS_FILTER_CANCELLED) is MemberStatus.CANCELLED


PLAN = Plan(
    id=3,
    code="anual",
    name="Plano Anual",
    duration_months=12,
    price=Decimal("1099.90"),
    active=True,
)


def test_plan_price_in_cents():
    assert mappers.plan(PLAN) == pb.Plan(
        id=3,
        code="anual",
        name="Plano Anual",
        duration_months=12,
        price_cents=109990,
        active=True,
    )


def test_an_active_member_has_no_cancellation_fields():
    member = Member(
        id=5,
        name="Ana",
        email="ana@example.com",
        phone=None,
        birth_date=date(1990, 5, 17),
        plan=PLAN,
        plan_id=3,
        enrolled_at=ENTERED,
        active=True,
        cancelled_at=None,
        cancellation_reason=None,
        cancellation_note=None,
    )
    encoded = mappers.member(member, today=date(2026, 3, 4), tz=SAO_PAULO)
    assert (encoded.phone, encoded.birth_date) == ("", "1990-05-17")
    assert encoded.next_renewal_on == "2027-03-04"  # the 12-month cycle ends a year on
    assert not encoded.HasField("cancelled_at")
    assert encoded.cancellation_reason == pb.CANCELLATION_REASON_UNSPECIFIED
    assert mappers.instant(encoded, "enrolled_at") == ENTERED


def test_a_cancelled_member_exports_reason_and_date_only():
    member = Member(
        id=6,
        name="Bia",
        email="bia@example.com",
        phone="11 98765-4321",
        birth_date=None,
        plan=PLAN,
        plan_id=3,
        enrolled_at=ENTERED - timedelta(days=90),
        active=False,
        cancelled_at=ENTERED,
        cancellation_reason=CancellationReason.MOTIVATION,
        cancellation_note="sem tempo",
    )
    assert mappers.member(member, today=date(2026, 3, 4), tz=SAO_PAULO).next_renewal_on == ""
    exported = mappers.exported_member(member)
    assert exported.cancellation_reason == pb.CANCELLATION_REASON_MOTIVATION
    assert mappers.instant(exported, "cancelled_at") == ENTERED
    assert (exported.plan_code, exported.plan_duration_months) == ("anual", 12)


def test_the_renewal_counts_from_the_local_enrollment_day():
    late_evening = datetime(2026, 2, 1, 1, 30, tzinfo=UTC)  # 31 Jan 22:30 in Sao Paulo
    member = Member(
        id=7,
        name="Caio",
        email="caio@example.com",
        phone=None,
        birth_date=None,
        plan=Plan(id=1, code="mensal", name="Mensal", duration_months=1, price=Decimal("99")),
        plan_id=1,
        enrolled_at=late_evening,
        active=True,
        cancelled_at=None,
        cancellation_reason=None,
        cancellation_note=None,
    )
    assert mappers.member(member, today=date(2026, 2, 10), tz=SAO_PAULO).next_renewal_on == (
        "2026-02-28"
    )
    assert mappers.member(member, today=date(2026, 2, 10), tz=ZoneInfo("UTC")).next_renewal_on == (
        "2026-03-01"
    )


def test_visit_duration_is_set_only_with_an_exit():
    open_visit = Visit(
        id=1,
        member_id=5,
        entered_at=ENTERED,
        exited_at=None,
        source=CheckInSource.APP,
        device_id=None,
        idempotency_key=None,
    )
    encoded = mappers.visit(open_visit)
    assert not encoded.HasField("exited_at") and not encoded.HasField("duration_minutes")
    assert encoded.source == pb.CHECK_IN_SOURCE_APP

    short = Visit(
        id=2,
        member_id=5,
        entered_at=ENTERED,
        exited_at=ENTERED + timedelta(seconds=30),
        source=CheckInSource.FRONT_DESK,
        device_id="d1",
        idempotency_key="k",
    )
    encoded = mappers.visit(short)
    assert encoded.HasField("duration_minutes") and encoded.duration_minutes == 0
    assert (encoded.device_id, encoded.idempotency_key) == ("d1", "k")


def test_timestamps_are_exact_to_the_microsecond_whatever_the_offset():
    """The encoder is arithmetic for speed (exports); it must equal Timestamp.FromDatetime."""
    from random import Random

    from google.protobuf.timestamp_pb2 import Timestamp

    rng = Random(5)
    sao_paulo = timezone(timedelta(hours=-3))
    for _ in range(2000):
        instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            microseconds=rng.randint(-(10**15), 10**17)
        )
        expected = Timestamp()
        expected.FromDatetime(instant)
        assert mappers.timestamp(instant) == expected
        assert mappers.timestamp(instant.astimezone(sao_paulo)) == expected
        assert mappers.timestamp(instant.replace(tzinfo=None)) == expected  # naive = UTC
