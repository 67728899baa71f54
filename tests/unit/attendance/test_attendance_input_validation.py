"""Input validation: what a raw client could send wrong, field by field."""

from datetime import date

import pytest

from frequenta_attendance.domain import validation
from frequenta_kit.errors import InvalidInput

TODAY = date(2026, 3, 4)


def refused(call, *args, **kwargs) -> str | None:
    """The field named by the VALIDATION_ERROR the call raises."""
    with pytest.raises(InvalidInput) as error:
        call(*args, **kwargs)
    assert error.value.code == "VALIDATION_ERROR"
    assert error.value.message
    return error.value.field


@pytest.mark.parametrize(
    ("given", "kept"),
    [("Jo", "Jo"), ("  Maria  Luísa ", "Maria  Luísa"), ("x" * 200, "x" * 200)],
)
def test_member_names_are_trimmed(given, kept):
    assert validation.member_name(given) == kept


@pytest.mark.parametrize("name", ["", "   ", "J", "x" * 201, "Ana\tSouza", "Ana\x00", "A\u0085na"])
def test_bad_member_names(name):
    assert refused(validation.member_name, name) == "name"


@pytest.mark.parametrize(
    "email", ["ana@example.com", "Ana.Souza+gym@Example.COM", "joão@exemplo.com.br"]
)
def test_emails_are_kept_as_given(email):
    assert validation.email_address(f" {email} ") == email


@pytest.mark.parametrize(
    "email", ["", "ana", "ana@", "@example.com", "ana@localhost", "a b@example.com", "ana@@x.com"]
)
def test_bad_emails(email):
    assert refused(validation.email_address, email) == "email"


@pytest.mark.parametrize(
    ("phone", "kept"),
    [
        ("", None),
        ("  ", None),
        ("11987654321", "11987654321"),
        ("+55 (11) 98765-4321", "+55 (11) 98765-4321"),
        ("1234-5678", "1234-5678"),
    ],
)
def test_phone_numbers(phone, kept):
    assert validation.phone_number(phone) == kept


@pytest.mark.parametrize(
    "phone",
    [
        "1234567",
        "1" * 21,
        "11 9876-543a",
        "55+11987654321",
        "(11) 9876.54321",
        "+" + " " * 30 + "12345678",
    ],
)
def test_bad_phone_numbers(phone):
    assert refused(validation.phone_number, phone) == "phone"


def test_birth_dates():
    assert validation.birth_date("", today=TODAY) is None
    assert validation.birth_date("1990-05-17", today=TODAY) == date(1990, 5, 17)
    assert validation.birth_date("2026-03-04", today=TODAY) == TODAY
    assert validation.birth_date("1906-01-01", today=TODAY) == date(1906, 1, 1)


@pytest.mark.parametrize(
    "born", ["2026-03-05", "1905-12-31", "1990-02-30", "17/05/1990", "19900517", "1990-5-17"]
)
def test_bad_birth_dates(born):
    assert refused(validation.birth_date, born, today=TODAY) == "birth_date"


@pytest.mark.parametrize("code", ["mensal", "plano-2", "a_b", "x" * 40, "12"])
def test_plan_codes(code):
    assert validation.plan_code(code) == code


@pytest.mark.parametrize("code", ["", "m", "Mensal", "plano mensal", "x" * 41, "plano!"])
def test_bad_plan_codes(code):
    assert refused(validation.plan_code, code) == "code"


def test_plan_numbers():
    assert validation.duration_months(1) == 1 and validation.duration_months(36) == 36
    assert validation.price_cents(0) == 0
    assert validation.price_cents(validation.MAX_PRICE_CENTS) == 99_999_999_99
    assert refused(validation.duration_months, 0) == "duration_months"
    assert refused(validation.duration_months, 37) == "duration_months"
    assert refused(validation.price_cents, -1) == "price_cents"
    assert refused(validation.price_cents, validation.MAX_PRICE_CENTS + 1) == "price_cents"


def test_opaque_keys_are_kept_exactly():
    assert validation.opaque_key("idempotency_key", "", max_length=200) is None
    assert validation.opaque_key("idempotency_key", " k ", max_length=200) == " k "
    assert refused(validation.opaque_key, "idempotency_key", "  ", max_length=200)
    assert refused(validation.opaque_key, "idempotency_key", "k" * 201, max_length=200)
    assert refused(validation.opaque_key, "idempotency_key", "k\x00", max_length=200)


def test_pages():
    assert validation.page(0, 0) == validation.Page(1, 50)
    assert validation.page(3, 200).offset == 400
    assert refused(validation.page, -1, 10) == "page"
    assert refused(validation.page, 1, 201) == "page_size"
    assert refused(validation.page, 1, -1) == "page_size"


def test_ids_must_be_positive():
    assert validation.entity_id("member_id", 7) == 7
    assert refused(validation.entity_id, "member_id", 0) == "member_id"
    assert refused(validation.entity_id, "plan_id", -3) == "plan_id"


def test_range_dates_stay_where_day_bounds_and_weeks_cannot_overflow():
    assert validation.range_date("to_date", "") is None
    assert validation.range_date("to_date", "1970-01-01") == date(1970, 1, 1)
    assert validation.range_date("to_date", "2999-12-31") == date(2999, 12, 31)
    for day in ("0001-01-01", "1969-12-31", "3000-01-01", "9999-12-31"):
        assert refused(validation.range_date, "to_date", day) == "to_date"
