"""The work message of a bulk import: a chunk of rows (grouped by member, each with its batch
row number) as compact JSON, read back exactly; anything else is refused as malformed (and
dead-lettered by the worker)."""

import json
import random
import uuid

import pytest

from frequenta_attendance import chunks
from frequenta_attendance.domain.batch import RawRow
from frequenta_attendance.domain.enums import CheckInSource

JOB = uuid.UUID("1b4e28ba-2fa1-41d2-883f-0016d3cca427")
ROWS = [
    (1, RawRow(42, 1_741_601_700_000_000, 1_741_606_320_000_000, "catraca-01", "k-1")),
    (2, RawRow(43, 1_741_601_760_000_000)),
    (3, RawRow(44, None, None, "", "only-a-key")),
    (4, RawRow(-1, 5, None, "ção", "")),
]


def test_split_groups_rows_by_member_keeping_batch_order_and_row_numbers() -> None:
    # A turnstile log: entries in time order, members interleaved.
    rows = [RawRow(member_id=10 + n % 3, entered_us=n) for n in range(7)]
    parts = list(chunks.split(JOB, CheckInSource.IMPORT, rows, 3))
    assert [c.number for c in parts] == [0, 1, 2]
    assert [[(n, r.member_id) for n, r in c.rows] for c in parts] == [
        [(1, 10), (4, 10), (7, 10)],
        [(2, 11), (5, 11), (3, 12)],
        [(6, 12)],
    ]
    assert all(rows[n - 1] is row for c in parts for n, row in c.rows)


def test_every_row_is_in_exactly_one_chunk() -> None:
    rows = [RawRow(member_id=(n * 7919) % 101, entered_us=n) for n in range(2500)]
    parts = list(chunks.split(JOB, CheckInSource.IMPORT, rows, 1000))
    assert [len(c.rows) for c in parts] == [1000, 1000, 500]
    assert sorted(n for c in parts for n, _ in c.rows) == list(range(1, 2501))


def test_a_chunk_survives_the_round_trip() -> None:
    chunk = chunks.Chunk(JOB, 3, CheckInSource.TURNSTILE, ROWS)
    assert chunks.decode(chunks.encode(chunk)) == chunk


def test_the_body_is_compact_with_trailing_absent_values_left_out() -> None:
    body = chunks.encode(chunks.Chunk(JOB, 0, CheckInSource.IMPORT, ROWS[:2]))
    assert b" " not in body
    assert json.loads(body)["rows"] == [
        [1, 42, 1_741_601_700_000_000, 1_741_606_320_000_000, "catraca-01", "k-1"],
        [2, 43, 1_741_601_760_000_000],
    ]


def test_message_ids_are_the_same_for_the_same_chunk_and_differ_between_chunks() -> None:
    assert chunks.message_id(JOB, 1) == chunks.message_id(JOB, 1)
    assert chunks.message_id(JOB, 1) != chunks.message_id(JOB, 2)
    assert chunks.message_id(JOB, 1) != chunks.message_id(uuid.uuid4(), 1)


def _body(**changes: object) -> bytes:
    body = json.loads(chunks.encode(chunks.Chunk(JOB, 0, CheckInSource.IMPORT, ROWS)))
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
        _body(rows=[]),
        _body(rows=[[1]]),
        _body(rows=[[0, 42, 1]]),
        _body(rows=[[1, "42", 1]]),
        _body(rows=[[1, 42, 1.5]]),
        _body(rows=[[1, True, 1]]),
        _body(rows=[[1, 42, 1, None, 7]]),
        _body(rows=[[1, 42, 1, None, "", "", "extra"]]),
        _body(rows="nope"),
    ],
)
def test_anything_else_is_malformed(body: bytes) -> None:
    with pytest.raises(chunks.MalformedChunk):
        chunks.decode(body)


@pytest.mark.parametrize("seed", range(20))
def test_the_quick_reading_of_a_chunk_agrees_with_the_reading_of_each_row(seed: int) -> None:
    rng = random.Random(seed)
    values = [1, 7, 0, -2, None, "", "k", 1.5, True, [], {}]
    rows = []
    for number in range(1, rng.randrange(2, 60)):
        row = [number, rng.choice([42, 43, 44])]
        row += [rng.choice([1_741_601_700_000_000, None]), rng.choice([None, 5])]
        row += [rng.choice(["", "catraca"]), rng.choice(["", "k-1"])]
        row = row[: rng.choice([2, 3, 4, 5, 6, 6, 6])]
        if rng.random() < 0.03:  # now and then a bad value, or a bad row
            row[rng.randrange(len(row))] = rng.choice(values)
        if rng.random() < 0.01:
            row = rng.choice([[1], [1, 2, 3, 4, 5, 6, 7], "row", None])
        rows.append(row)
    body = json.dumps({"v": 1, "job": str(JOB), "chunk": 0, "source": "importacao", "rows": rows})
    try:
        expected: object = [chunks._numbered_row(v, i) for i, v in enumerate(rows)]
    except chunks.MalformedChunk:
        expected = chunks.MalformedChunk
    try:
        got: object = chunks.decode(body.encode()).rows
    except chunks.MalformedChunk:
        got = chunks.MalformedChunk
    assert got == expected
