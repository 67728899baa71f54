"""The work message of a bulk import: one chunk of rows of one job, as compact JSON
(docs/bulk-imports.md, "Chunks"):

    {"v": 1, "job": "<uuid>", "chunk": 0, "source": "importacao",
     "rows": [[1, 42, 1741601700000000, 1741606320000000, "catraca-01", "k-1"],
              [7, 42, 1741688160000000]]}

Each row is ``[row_number, member_id, entry, exit, device_id, idempotency_key]``: its 1-based
number in the batch, then instants as integer microseconds since 1970-01-01T00:00Z (``null``
when not given), trailing absent values left out. JSON keeps the body readable in the
dead-letter queue; integers keep it small and exact.

Chunks group the rows by member (a member's rows in batch order, in as few chunks as they
fit): a chunk then locks few members, so workers rarely wait on each other; a member's rows
are decided together, in batch order; and one event per member per chunk stays small in
number whatever the order of the upload (a turnstile log is in time order). The AMQP message
id is derived from the job id and the chunk number, the same on every resend.
"""

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from frequenta_attendance.domain.batch import RawRow
from frequenta_attendance.domain.enums import CheckInSource

VERSION = 1
CONTENT_TYPE = "application/json"
# The work queue of bulk imports (its name without the broker namespace).
QUEUE = "checkin-import"
MESSAGE_TYPE = "checkins.import-chunk"


# What a row's trailing values are when left out.
_DEFAULTS: tuple[Any, ...] = (None, None, None, None, "", "")
# The same, by the length of the row as sent: what completes it to six values.
_PADDING: dict[int, list[Any]] = {size: list(_DEFAULTS[size:]) for size in range(2, 7)}


class MalformedChunk(ValueError):
    """The body is not a chunk this version can read."""


@dataclass(frozen=True)
class Chunk:
    job_id: uuid.UUID
    number: int  # 0-based
    source: CheckInSource
    # (1-based batch row number, row), by member then row number
    rows: Sequence[tuple[int, RawRow]]


def message_id(job_id: uuid.UUID, number: int) -> uuid.UUID:
    return uuid.uuid5(job_id, f"chunk-{number}")


def split(
    job_id: uuid.UUID, source: CheckInSource, rows: Sequence[RawRow], size: int
) -> Iterator[Chunk]:
    """``rows`` in chunks of ``size``, grouped by member (in batch order within a member)."""
    order = sorted(range(len(rows)), key=lambda index: rows[index].member_id)
    for number, start in enumerate(range(0, len(order), size)):
        numbered = [(index + 1, rows[index]) for index in order[start : start + size]]
        yield Chunk(job_id, number, source, numbered)


def _row(row_number: int, row: RawRow) -> list[Any]:
    """The row on the wire, its trailing absent values (None or "") left out."""
    member_id, entered_us, exited_us, device_id, key = row
    if key:
        return [row_number, member_id, entered_us, exited_us, device_id, key]
    if device_id:
        return [row_number, member_id, entered_us, exited_us, device_id]
    if exited_us is not None:
        return [row_number, member_id, entered_us, exited_us]
    if entered_us is not None:
        return [row_number, member_id, entered_us]
    return [row_number, member_id]


def encode(chunk: Chunk) -> bytes:
    body = {
        "v": VERSION,
        "job": str(chunk.job_id),
        "chunk": chunk.number,
        "source": chunk.source.value,
        "rows": [_row(number, row) for number, row in chunk.rows],
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _int(value: Any, what: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if type(value) is not int:
        raise MalformedChunk(f"{what} must be an integer, not {value!r:.40}")
    return value


def _text(value: Any, what: str) -> str:
    if type(value) is not str:
        raise MalformedChunk(f"{what} must be a string, not {value!r:.40}")
    return value


def _numbered_row(values: Any, index: int) -> tuple[int, RawRow]:
    if not isinstance(values, list) or not 2 <= len(values) <= 6:
        raise MalformedChunk(f"row {index} must be a list of 2 to 6 values")
    padded = [*values, *_DEFAULTS[len(values) :]]
    row_number = _int(padded[0], f"row {index} number")
    if row_number < 1:
        raise MalformedChunk(f"row {index} number must be 1 or more")
    return row_number, RawRow(
        member_id=_int(padded[1], f"row {index} member"),
        entered_us=_int(padded[2], f"row {index} entry", optional=True),
        exited_us=_int(padded[3], f"row {index} exit", optional=True),
        device_id=_text(padded[4], f"row {index} device"),
        idempotency_key=_text(padded[5], f"row {index} key"),
    )


def _numbered_rows(rows: list[Any]) -> list[tuple[int, RawRow]]:
    """Every row, read in one tight loop (a chunk holds thousands); a row this loop does not
    accept goes through ``_numbered_row``, which says what is wrong with it."""
    numbered: list[tuple[int, RawRow]] = []
    append, make, padding = numbered.append, RawRow._make, _PADDING
    for index, values in enumerate(rows):
        pad = padding.get(len(values)) if type(values) is list else None
        if pad is not None:
            number, member_id, entered, exited, device, key = values + pad if pad else values
            if (
                type(number) is int
                and number >= 1
                and type(member_id) is int
                and (entered is None or type(entered) is int)
                and (exited is None or type(exited) is int)
                and type(device) is str
                and type(key) is str
            ):
                append((number, make((member_id, entered, exited, device, key))))
                continue
        append(_numbered_row(values, index))  # raises MalformedChunk
    return numbered


def decode(body: bytes) -> Chunk:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedChunk(f"not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise MalformedChunk(f"not a version {VERSION} chunk")
    try:
        job_id = uuid.UUID(_text(data.get("job"), "job"))
        source = CheckInSource(_text(data.get("source"), "source"))
    except ValueError as error:
        raise MalformedChunk(str(error)) from None
    number = _int(data.get("chunk"), "chunk")
    rows = data.get("rows")
    if number < 0 or not isinstance(rows, list) or not rows:
        raise MalformedChunk("chunk or rows out of range")
    return Chunk(job_id, number, source, _numbered_rows(rows))
