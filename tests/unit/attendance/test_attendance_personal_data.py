"""The erasure's rules, pure (docs/personal-data.md): what replaces each personal field, what
stays, and that no one can register a placeholder address."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from frequenta_attendance.domain import personal_data, validation
from frequenta_kit.errors import Conflict, InvalidInput

ERASED_AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@dataclass
class FakeMember:
    id: int = 42
    name: str = "Ana Souza"
    email: str = "Ana.Souza@example.com"
    phone: str | None = "+55 11 91234-5678"
    birth_date: date | None = date(1994, 7, 21)
    cancellation_note: str | None = "mudou para Santos, ligar no celular"
    personal_data_erased_at: datetime | None = None
    erasure_reason: str | None = None
    plan_id: int = 3
    enrolled_at: datetime = field(default_factory=lambda: datetime(2025, 1, 6, tzinfo=UTC))


def test_every_personal_field_is_replaced_and_the_membership_stays() -> None:
    member = FakeMember()
    personal_data.erase(member, erased_at=ERASED_AT, reason="protocolo 1")
    assert member == FakeMember(
        name="Titular removido #42",
        email="titular-removido-42@dados-removidos.invalid",
        phone=None,
        birth_date=None,
        cancellation_note=None,
        personal_data_erased_at=ERASED_AT,
        erasure_reason="protocolo 1",
    )


def test_placeholders_differ_by_member() -> None:
    assert personal_data.placeholder_email(1) != personal_data.placeholder_email(11)
    assert personal_data.placeholder_name(1) != personal_data.placeholder_name(11)


def test_no_one_can_register_a_placeholder_address() -> None:
    with pytest.raises(InvalidInput):
        validation.email_address(personal_data.placeholder_email(42))


def test_an_erased_member_gets_no_new_note() -> None:
    erased = FakeMember(personal_data_erased_at=ERASED_AT)
    with pytest.raises(Conflict) as caught:
        personal_data.check_note_allowed(erased, "ligar depois")
    assert caught.value.code == "PERSONAL_DATA_ERASED"
    personal_data.check_note_allowed(erased, None)
    personal_data.check_note_allowed(FakeMember(), "ligar depois")
