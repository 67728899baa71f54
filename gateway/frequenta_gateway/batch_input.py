"""Reading a bulk check-in upload (docs/bulk-imports.md): the body, bounded in size, as JSON
(`application/json`, a BatchSubmission) or CSV (`text/csv`, a header row naming the columns),
into the SubmitCheckInBatch request.

The gateway checks shapes and types only (docs/rules.md). A row it cannot read (an id that is
not a positive integer, an instant that is not ISO-8601 with an offset, an unknown column...)
refuses the whole upload with 422, listing the first bad rows: nothing is half-imported, and
the fixed file can be sent again (re-sent rows are duplicates, not new visits). The rules
(unknown member, overlaps, future instants...) are the import job's: rejected rows, not errors.
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from fastapi import Request
from pydantic import ValidationError

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway import batch_fast
from frequenta_gateway.errors import (
    TIMESTAMP_WITHOUT_TIMEZONE,
    VALIDATION_ERROR,
    ApiError,
    validation_details,
)
from frequenta_gateway.schemas.batches import CSV_HEADER, BatchSubmission
from frequenta_gateway.schemas.common import INT64_MAX
from frequenta_gateway.schemas.visits import Source
from frequenta_gateway.vocabulary import SOURCE_TO_PROTO

JSON, CSV = "application/json", "text/csv"
# Bad rows listed in a 422 (the count says how many there are in all).
MAX_LISTED_ERRORS = 20
REQUIRED_COLUMNS = ("aluno_id", "data_entrada")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class Row(NamedTuple):
    """A row of the upload, read (a named tuple: an upload holds up to 100,000)."""

    member_id: int
    entered_at: datetime
    exited_at: datetime | None
    device_id: str | None
    idempotency_key: str | None


def too_large(code: str, message: str) -> ApiError:
    return ApiError(413, code, message)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it exceeds ``limit`` bytes."""
    message = f"The body exceeds {limit} bytes; split the batch."
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large("PAYLOAD_TOO_LARGE", message)
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise too_large("PAYLOAD_TOO_LARGE", message)
        parts.append(part)
    return b"".join(parts)


def media_type(request: Request) -> str:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == JSON or (media.startswith("application/") and media.endswith("+json")):
        return JSON
    if media in (CSV, "application/csv"):
        return CSV
    raise ApiError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        f"Send the batch as {JSON} or {CSV}, not {media or 'a body without Content-Type'}.",
    )


@dataclass(frozen=True)
class Rows:
    """The rows of an upload, column by column (what SubmitCheckInBatch's columns carry)."""

    member_ids: Sequence[int]
    entered: Sequence[datetime]
    exited: Sequence[datetime | None]
    devices: Sequence[str | None]
    keys: Sequence[str | None]

    @classmethod
    def of(cls, rows: Sequence[Row]) -> "Rows":
        if not rows:
            return cls((), (), (), (), ())
        return cls(*zip(*rows, strict=True))

    def __len__(self) -> int:
        return len(self.member_ids)


def parse(body: bytes, media: str, *, source: Source | None) -> tuple[Rows, Source | None]:
    """The rows of the upload and its source (the JSON `origem`, or the `origem` query). JSON
    is read by ``batch_fast`` first; ``BatchSubmission`` reads what it does not accept (and
    makes the 422). CPU-bound (about a second per 100,000 rows by ``BatchSubmission``): call
    it off the event loop."""
    if media == JSON:
        fast = batch_fast.read(body)
        if fast is not None:
            if fast.get("origem") and source and fast.get("origem") != source:
                raise ApiError.invalid("origem", "Differs from the `origem` query parameter.")
            checkins = fast["checkins"]
            rows = Rows(
                [r["aluno_id"] for r in checkins],
                [r["data_entrada"] for r in checkins],
                [r.get("data_saida") for r in checkins],
                [r.get("dispositivo_id") for r in checkins],
                [r.get("chave_idempotencia") for r in checkins],
            )
            return rows, fast.get("origem") or source
        try:
            batch = BatchSubmission.model_validate_json(body)
        except ValidationError as error:
            raise _invalid(error.errors(include_url=False)) from None
        if batch.origem and source and batch.origem != source:
            raise ApiError.invalid("origem", "Differs from the `origem` query parameter.")
        read = [
            Row(r.aluno_id, r.data_entrada, r.data_saida, r.dispositivo_id, r.chave_idempotencia)
            for r in batch.checkins
        ]
        return Rows.of(read), batch.origem or source
    return Rows.of(_csv_rows(body)), source


def request_for(rows: Rows, source: Source | None) -> pb.SubmitCheckInBatchRequest:
    """The request, its rows as packed columns: whole lists handed to protobuf, no message per
    row (about a third of the CPU of CheckInRow messages, on both sides). Instants in exact
    integer microseconds."""
    request = pb.SubmitCheckInBatchRequest(
        source=SOURCE_TO_PROTO[source] if source else pb.CHECK_IN_SOURCE_UNSPECIFIED
    )
    columns = request.columns
    columns.member_ids.extend(rows.member_ids)
    columns.entered_at_us.extend([(instant - _EPOCH) // _MICROSECOND for instant in rows.entered])
    if any(instant is not None for instant in rows.exited):
        columns.exited_at_us.extend(
            [
                0 if instant is None else (instant - _EPOCH) // _MICROSECOND
                for instant in rows.exited
            ]
        )
        columns.has_exit.extend([instant is not None for instant in rows.exited])
    if any(rows.devices):
        columns.device_ids.extend([device or "" for device in rows.devices])
    if any(rows.keys):
        columns.idempotency_keys.extend([key or "" for key in rows.keys])
    return request


# --- errors ------------------------------------------------------------------------------------


def _invalid(errors: Sequence[Mapping[str, Any]]) -> ApiError:
    """422 for the whole upload, listing the first bad rows (all the errors of each)."""
    rows = list(dict.fromkeys(_row_of(error) for error in errors))
    listed_rows = set(rows[:MAX_LISTED_ERRORS])
    listed = [error for error in errors if _row_of(error) in listed_rows][:MAX_LISTED_ERRORS]
    naive = all(error.get("type") == "timezone_aware" for error in errors)
    bad_rows = [row for row in rows if row is not None]
    if bad_rows:
        message = (
            f"{len(bad_rows)} row(s) of the batch cannot be read (first: linha "
            f"{', '.join(str(row + 1) for row in bad_rows[:5])}); nothing was imported. "
            "Fix them and send the batch again."
        )
    else:
        message = "The batch cannot be read; nothing was imported."
    code = TIMESTAMP_WITHOUT_TIMEZONE if naive else VALIDATION_ERROR
    return ApiError(422, code, message, validation_details(listed))


def _row_of(error: Mapping[str, Any]) -> int | None:
    """0-based index of the row an error is about; None for the body as a whole."""
    loc = list(error.get("loc", ()))
    if "checkins" in loc:
        position = loc.index("checkins") + 1
        if position < len(loc) and isinstance(loc[position], int):
            return loc[position]
    return None


def _error(index: int | None, field: str, kind: str, message: str) -> dict[str, Any]:
    """An error shaped like pydantic's, about row ``index`` (None: the body) and ``field``."""
    loc: tuple[Any, ...] = ("body",) if index is None else ("body", "checkins", index)
    return {"type": kind, "loc": (*loc, field) if field else loc, "msg": message}


# --- CSV ---------------------------------------------------------------------------------------


def _csv_rows(body: bytes) -> list[Row]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid([_error(None, "", "csv", "The CSV must be UTF-8 text.")]) from None
    records = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(records, None)
        columns = _columns(header)
        rows, errors = [], []
        for index, record in enumerate(_non_blank(records)):
            row = _csv_row(index, columns, record, errors)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        raise _invalid([_error(None, "", "csv", f"Malformed CSV: {error}")]) from None
    if errors:
        raise _invalid(errors)
    return rows


def _non_blank(records: Iterable[list[str]]) -> Iterable[list[str]]:
    return (record for record in records if any(cell.strip() for cell in record))


def _columns(header: list[str] | None) -> list[str]:
    expected = ",".join(CSV_HEADER)
    if header is None:
        raise _invalid([_error(None, "cabecalho", "csv", f"Empty CSV; the header is {expected}.")])
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name not in CSV_HEADER]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        problem = (
            f"unknown column(s) {', '.join(unknown)}"
            if unknown
            else f"missing column(s) {', '.join(missing)}"
            if missing
            else "repeated columns"
        )
        raise _invalid(
            [_error(None, "cabecalho", "csv", f"CSV header: {problem}; expected {expected}.")]
        )
    return columns


def _csv_row(
    index: int, columns: list[str], record: list[str], errors: list[dict[str, Any]]
) -> Row | None:
    if len(record) != len(columns):
        errors.append(
            _error(index, "", "csv", f"Expected {len(columns)} values, got {len(record)}.")
        )
        return None
    values = dict(zip(columns, (cell.strip() for cell in record), strict=True))
    found = len(errors)
    member_id = _member_id(index, values["aluno_id"], errors)
    entered_at = _instant(index, "data_entrada", values["data_entrada"], errors, required=True)
    exited_at = _instant(index, "data_saida", values.get("data_saida", ""), errors)
    device_id = values.get("dispositivo_id") or None
    if device_id is not None and len(device_id) > 100:
        errors.append(_error(index, "dispositivo_id", "string_too_long", "At most 100 characters"))
    key = values.get("chave_idempotencia") or None
    if key is not None and len(key) > 200:
        errors.append(
            _error(index, "chave_idempotencia", "string_too_long", "At most 200 characters")
        )
    if len(errors) > found or member_id is None or entered_at is None:
        return None
    return Row(member_id, entered_at, exited_at, device_id, key)


def _member_id(index: int, text: str, errors: list[dict[str, Any]]) -> int | None:
    if text.isascii() and text.isdigit() and 1 <= int(text) <= INT64_MAX:
        return int(text)
    errors.append(_error(index, "aluno_id", "int_parsing", "Must be a positive integer id"))
    return None


def _instant(
    index: int, field: str, text: str, errors: list[dict[str, Any]], *, required: bool = False
) -> datetime | None:
    if not text:
        if required:
            errors.append(_error(index, field, "missing", "Field required"))
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        errors.append(_error(index, field, "datetime_parsing", "Not an ISO-8601 instant"))
        return None
    if instant.tzinfo is None:
        errors.append(_error(index, field, "timezone_aware", "No UTC offset"))
        return None
    return instant
