"""Shared field types and base models of the REST schemas."""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from pydantic_core import PydanticCustomError

INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1


_UNIX_TIME = re.compile(r"\s*[-+]?\d+(\.\d*)?\s*", re.ASCII)
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _iso_text_only(value: Any) -> Any:
    """Refuse numbers (Unix times), digits-only text (pydantic would read "0" as 1970-01-01) and
    other non-text for instants and dates: they travel as ISO-8601 strings only."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str) and not _UNIX_TIME.fullmatch(value):
        return value
    raise PydanticCustomError("iso_string_type", "Input should be an ISO-8601 string")


def _full_date_only(value: Any) -> Any:
    """A calendar date is exactly YYYY-MM-DD (OpenAPI's `format: date`): not an instant, not a
    Unix time."""
    if isinstance(value, date) or (isinstance(value, str) and _FULL_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_format", "Input should be a date as YYYY-MM-DD")


def _utc_representable(value: datetime) -> datetime:
    """An instant whose UTC time is a datetime too: 0001-01-01T00:00:00+14:00 is not (its UTC
    time is before year 1), and converting it failed with an OverflowError, a 500."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_range", "Instant out of range: in UTC it must be from year 1 to 9999"
        ) from None
    return value


# An instant: ISO-8601 with an offset. Without one, pydantic reports `timezone_aware`, which the
# error layer turns into TIMESTAMP_WITHOUT_TIMEZONE.
Instant = Annotated[
    AwareDatetime, BeforeValidator(_iso_text_only), AfterValidator(_utc_representable)
]
# A calendar date "YYYY-MM-DD".
CalendarDate = Annotated[date, BeforeValidator(_full_date_only)]
# A database id in a JSON body: a JSON integer (not "1", 1.0 or true), 1 or more.
StrictId = Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)]


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    """Base of response bodies."""


class Period(ResponseModel):
    """A range of local dates (the gym's time zone), both ends included."""

    data_inicio: date = Field(description="First local date.", examples=["2025-01-06"])
    data_fim: date = Field(description="Last local date.", examples=["2025-03-30"])

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"data_inicio": "2025-01-06", "data_fim": "2025-03-30"}]}
    )


class Pagination(ResponseModel):
    """Where a page sits in the whole result."""

    pagina: int = Field(description="1-based page number.", examples=[1])
    tamanho: int = Field(description="Page size asked for.", examples=[50])
    total: int = Field(description="Items across all pages.", examples=[37])

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"pagina": 1, "tamanho": 50, "total": 37}]}
    )
