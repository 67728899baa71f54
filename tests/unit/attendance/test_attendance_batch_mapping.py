"""A bulk batch reaches the handlers as the same rows whether the client sent one CheckInRow
message per row or packed columns (as the gateway does); columns that do not line up refuse
the whole request."""

import pytest

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance.domain.batch import RawRow
from frequenta_attendance.import_mappers import batch_rows
from frequenta_kit.errors import InvalidInput

ENTRY = 1_741_601_700_123_456

ROWS = [
    RawRow(42, ENTRY, ENTRY + 3_600_000_000, "catraca-01", "k-1"),
    RawRow(43, ENTRY, None, "", ""),
    RawRow(-1, 0, 0, "", "only-a-key"),  # an exit at 1970 is still an exit (then refused)
]


def as_rows(rows: list[RawRow]) -> pb.SubmitCheckInBatchRequest:
    request = pb.SubmitCheckInBatchRequest()
    for member_id, entered, exited, device, key in rows:
        row = request.rows.add(member_id=member_id, device_id=device, idempotency_key=key)
        if entered is not None:
            row.entered_at.FromMicroseconds(entered)
        if exited is not None:
            row.exited_at.FromMicroseconds(exited)
    return request


def as_columns(rows: list[RawRow]) -> pb.SubmitCheckInBatchRequest:
    request = pb.SubmitCheckInBatchRequest()
    columns = request.columns
    columns.member_ids.extend(row.member_id for row in rows)
    columns.entered_at_us.extend(row.entered_us or 0 for row in rows)
    if any(row.exited_us is not None for row in rows):
        columns.exited_at_us.extend(row.exited_us or 0 for row in rows)
        columns.has_exit.extend(row.exited_us is not None for row in rows)
    if any(row.device_id for row in rows):
        columns.device_ids.extend(row.device_id for row in rows)
    if any(row.idempotency_key for row in rows):
        columns.idempotency_keys.extend(row.idempotency_key for row in rows)
    return request


@pytest.mark.parametrize("rows", [ROWS, ROWS[1:2], [RawRow(7, ENTRY, None, "", "k")]])
def test_columns_and_rows_give_the_same_batch(rows: list[RawRow]) -> None:
    assert batch_rows(as_columns(rows)) == batch_rows(as_rows(rows)) == rows


def test_an_empty_batch_is_empty_either_way() -> None:
    assert batch_rows(pb.SubmitCheckInBatchRequest()) == []
    assert batch_rows(pb.SubmitCheckInBatchRequest(columns=pb.CheckInColumns())) == []


def _broken(**change: list) -> pb.SubmitCheckInBatchRequest:
    request = as_columns(ROWS)
    for name, values in change.items():
        column = getattr(request.columns, name)
        del column[:]
        column.extend(values)
    return request


@pytest.mark.parametrize(
    "request_",
    [
        _broken(entered_at_us=[ENTRY]),
        _broken(exited_at_us=[1, 2]),
        _broken(has_exit=[True]),
        _broken(device_ids=["a"]),
        _broken(idempotency_keys=["a", "b", "c", "d"]),
        pb.SubmitCheckInBatchRequest(
            rows=[pb.CheckInRow(member_id=1)], columns=pb.CheckInColumns(member_ids=[2])
        ),
    ],
)
def test_columns_that_do_not_line_up_refuse_the_request(request_) -> None:
    with pytest.raises(InvalidInput) as refused:
        batch_rows(request_)
    assert (refused.value.code, refused.value.field) == ("VALIDATION_ERROR", "columns")
