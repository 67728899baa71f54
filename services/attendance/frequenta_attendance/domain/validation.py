"""Checks of everything a raw client could send wrong: shapes, formats and ranges.

Each function returns the cleaned value or raises a VALIDATION_ERROR naming the proto field.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime

from email_validator import EmailNotValidError, validate_email

from frequenta_attendance.domain.errors import invalid

# A zero google.protobuf.Timestamp is 1970-01-01: refuse it and anything earlier as a client bug.
EARLIEST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
# The local dates a range may start or end on: from the earliest instant's date to a bound far
# beyond any real range end and far from date.max, so a range's defaults, its day bounds and
# its weeks never leave the dates Python can hold (9999-12-31 failed with an OverflowError).
EARLIEST_DATE = EARLIEST_INSTANT.date()
LATEST_DATE = date(2999, 12, 31)
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_BIRTH_AGE_YEARS = 120
# The largest price numeric(10,2) holds, in cents.
MAX_PRICE_CENTS = 99_999_999_99

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHONE = re.compile(r"\+?[0-9 ()\-]+")
_PLAN_CODE = re.compile(r"[a-z0-9_-]{2,40}")


def _without_control_characters(field: str, value: str, *, allow_newlines: bool = False) -> str:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    for char in value:
        if char not in allowed and unicodedata.category(char) in {"Cc", "Cs"}:
            raise invalid(field, f"{field} contains a control character")
    return value


def required_text(field: str, value: str, *, min_length: int, max_length: int) -> str:
    """Trimmed text of ``min_length`` to ``max_length`` characters, one line."""
    cleaned = _without_control_characters(field, value.strip())
    if not min_length <= len(cleaned) <= max_length:
        raise invalid(field, f"{field} must have {min_length} to {max_length} characters")
    return cleaned


def optional_text(
    field: str, value: str, *, max_length: int, multiline: bool = False
) -> str | None:
    """Trimmed text of at most ``max_length`` characters; None when empty."""
    cleaned = _without_control_characters(field, value.strip(), allow_newlines=multiline)
    if len(cleaned) > max_length:
        raise invalid(field, f"{field} must have at most {max_length} characters")
    return cleaned or None


def opaque_key(field: str, value: str, *, max_length: int) -> str | None:
    """A client key kept exactly as sent (no trimming: keys are opaque); None when empty."""
    if not value:
        return None
    _without_control_characters(field, value)
    if len(value) > max_length or not value.strip():
        raise invalid(field, f"{field} must have 1 to {max_length} visible characters")
    return value


def member_name(value: str) -> str:
    return required_text("name", value, min_length=2, max_length=200)


def email_address(value: str) -> str:
    """A valid address, stored as given (trimmed); uniqueness ignores case elsewhere."""
    cleaned = value.strip()
    try:
        validate_email(cleaned, check_deliverability=False)
    except EmailNotValidError as error:
        raise invalid("email", f"invalid e-mail address: {error}") from None
    return cleaned


def phone_number(value: str) -> str | None:
    """Optional: 8 to 20 digits, optionally a leading +, parentheses, dashes and spaces."""
    cleaned = value.strip()
    if not cleaned:
        return None
    digits = sum(char.isdigit() for char in cleaned)
    if len(cleaned) > 30 or not _PHONE.fullmatch(cleaned) or not 8 <= digits <= 20:
        raise invalid(
            "phone", "phone must have 8 to 20 digits and only + ( ) - or spaces besides them"
        )
    return cleaned


def iso_date(field: str, value: str) -> date | None:
    """A calendar date written exactly ``YYYY-MM-DD``; None when empty."""
    if not value:
        return None
    if not _ISO_DATE.fullmatch(value):
        raise invalid(field, f"{field} must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(field, f"{field} {value!r} is not a calendar date") from None


def range_date(field: str, value: str) -> date | None:
    """A date written ``YYYY-MM-DD`` from EARLIEST_DATE to LATEST_DATE; None when empty."""
    day = iso_date(field, value)
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise invalid(field, f"{field} must be from {EARLIEST_DATE} to {LATEST_DATE}")
    return day


def birth_date(value: str, *, today: date) -> date | None:
    born = iso_date("birth_date", value)
    if born is None:
        return None
    if born > today:
        raise invalid("birth_date", "birth_date is in the future")
    if born.year < today.year - MAX_BIRTH_AGE_YEARS:
        raise invalid("birth_date", f"birth_date is more than {MAX_BIRTH_AGE_YEARS} years ago")
    return born


def plausible_instant(field: str, instant: datetime) -> datetime:
    if instant <= EARLIEST_INSTANT:
        raise invalid(field, f"{field} must be after {EARLIEST_INSTANT.date().isoformat()}")
    return instant


def entity_id(field: str, value: int) -> int:
    if value <= 0:
        raise invalid(field, f"{field} is required and must be positive")
    return value


def plan_code(value: str) -> str:
    if not _PLAN_CODE.fullmatch(value):
        raise invalid("code", "code must have 2 to 40 lowercase letters, digits, '-' or '_'")
    return value


def plan_name(value: str) -> str:
    return required_text("name", value, min_length=2, max_length=100)


def duration_months(value: int) -> int:
    if not 1 <= value <= 36:
        raise invalid("duration_months", "duration_months must be 1 to 36")
    return value


def price_cents(value: int) -> int:
    if not 0 <= value <= MAX_PRICE_CENTS:
        raise invalid("price_cents", f"price_cents must be 0 to {MAX_PRICE_CENTS}")
    return value


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page(number: int, size: int) -> Page:
    """1-based page; 0 means the first page and the default size."""
    if number < 0:
        raise invalid("page", "page must be 1 or more (0 means 1)")
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise invalid("page_size", f"page_size must be 1 to {MAX_PAGE_SIZE} (0 means 50)")
    return Page(number or 1, size or DEFAULT_PAGE_SIZE)
