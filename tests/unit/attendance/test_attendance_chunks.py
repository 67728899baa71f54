"""The work message of a bulk import: a chunk of rows as compact JSON, read back exactly; anything
else is refused as malformed (and dead-lettered by the worker)."""

import json
import uuid

import pytest

from frequenta_attendance import chunks
from frequenta_attendance.domain.batch import RawRow
from frequenta_attendance.domain.enums import CheckInSource

JOB = uuid.UUID("1b4e28ba-2fa1-41d2-883f-0016d3cca427")
ROWS = [
    RawRow(42, 1_741_601_700_000_000, 1_741_606_320_000_000, "catraca-01", "k-1"),
    RawRow(43, 1_741_601_760_000_000),
    RawRow(44, None, None, "", "only-a-key"),
    RawRow(-1, 5, None, "ção", ""),
]


def test_split_keeps_consecutive_rows_and_their_batch_row_numbers() -> None:
    rows = [RawRow(n, n) for n in range(1, 2501)]
    parts = list(chunks.split(JOB, CheckInSource.IMPORT, rows, 1000))
    assert [(c.number, c.first_row, len(c.rows)) for c in parts] == [
        (0, 1, 1000),
        (1, 1001, 1000),
        (2, 2001, 500),
    ]
    assert parts[2].rows[0].member_id == 2001


def test_a_chunk_survives_the_round_trip() -> None:
    chunk = chunks.Chunk(JOB, 3, 3001, CheckInSource.TURNSTILE, ROWS)
    assert chunks.decode(chunks.encode(chunk)) == chunk


def test_the_body_is_compact_with_trailing_absent_values_left_out() -> None:
    body = chunks.encode(chunks.Chunk(JOB, 0, 1, CheckInSource.IMPORT, ROWS[:2]))
    assert b" " not in body
    assert json.loads(body)["rows"] == [
        [42, 1_741_601_700_000_000, 1_741_606_320_000_000, "catraca-01", "k-1"],
        [43, 1_741_601_760_000_000],
    ]


def test_message_ids_are_the_same_for_the_same_chunk_and_differ_between_chunks() -> None:
    assert chunks.message_id(JOB, 1) == chunks.message_id(JOB, 1)
    assert chunks.message_id(JOB, 1) != chunks.message_id(JOB, 2)
    assert chunks.message_id(JOB, 1) != chunks.message_id(uuid.uuid4(), 1)


def _body(**changes: object) -> bytes:
    body = json.loads(chunks.encode(chunks.Chunk(JOB, 0, 1, CheckInSource.IMPORT, ROWS)))
    body.update(changes)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"v": 2}',
        _body(job="not-a-uuid"),
        _body(source="janela"),
        _body(chunk=-1),
        _body(first_row=0),
        _body(rows=[]),
        _body(rows=[["42", 1]]),
        _body(rows=[[42, 1.5]]),
        _body(rows=[[True, 1]]),
        _body(rows=[[42, 1, None, 7]]),
        _body(rows=[[42, 1, None, "", "", "extra"]]),
        _body(rows="nope"),
    ],
)
def test_anything_else_is_malformed(body: bytes) -> None:
    with pytest.raises(chunks.MalformedChunk):
        chunks.decode(body)
