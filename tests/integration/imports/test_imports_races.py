"""A chunk's rows are decided under its members' locks, but a key is unique across members: a
concurrent transaction may commit another member's visit with one of the chunk's keys between
the chunk's reads and its insert. The insert then meets the unique index, the chunk inserts
its other rows all the same, and the row that lost its key is decided again: a duplicate when
that visit is this very row, else IDEMPOTENCY_KEY_REUSED. Nothing is counted twice.

A chunk first inserts as if none of its keys were stored (``insert_if_free``); a key met
there makes it decide again with its keys read, then insert with ``insert_checked``: the race
is run before either."""

from collections.abc import Callable

import pytest
from imports_support import ago, import_events_of, row, unique_key, visits_of
from sqlalchemy import text

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance import chunks
from frequenta_attendance.bootstrap import gym_rules
from frequenta_attendance.clock import system_clock
from frequenta_attendance.handlers import imports
from frequenta_attendance.import_repository import ImportRepository
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.database import create_session_factory


async def _commit_visit(engine, member_id: int, entered, key: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO checkins (aluno_id, data_entrada, origem, chave_idempotencia)"
                " VALUES (:member, :entered, 'recepcao', :key)"
            ),
            {"member": member_id, "entered": entered, "key": key},
        )


def _meanwhile(
    monkeypatch: pytest.MonkeyPatch, commit: Callable[[], object], before: str = "insert_checked"
) -> list[list[int]]:
    """Run ``commit`` (another transaction, committed) just before the chunk's insert by
    ``before``; the ids each ``insert_checked`` returned. Racing ``insert_checked``, the first
    insert is refused as if a key of the chunk were stored already (as in a batch sent again),
    so the chunk reads its keys and inserts with ``insert_checked``."""
    returned: list[list[int]] = []
    insert, insert_if_free = ImportRepository.insert_checked, ImportRepository.insert_if_free

    async def checked(self, rows, positions, source):
        if before == "insert_checked":
            await commit()  # type: ignore[misc]
        ids = await insert(self, rows, positions, source)
        returned.append(ids)
        return ids

    async def if_free(self, rows, positions, source):
        if before != "insert_if_free":
            return None
        await commit()  # type: ignore[misc]
        return await insert_if_free(self, rows, positions, source)

    monkeypatch.setattr(ImportRepository, "insert_checked", checked)
    monkeypatch.setattr(ImportRepository, "insert_if_free", if_free)
    return returned


@pytest.mark.parametrize("before", ["insert_if_free", "insert_checked"])
@pytest.mark.parametrize("same_visit", [False, True])
async def test_a_key_taken_meanwhile_by_another_transaction_is_decided_again(
    importer, new_member, attendance_engine, import_settings, monkeypatch, same_visit, before
):
    ana, bia = await new_member(), await new_member()
    key, entered = unique_key(), ago(days=3)
    rows = [
        row(ana.id, ago(days=5), key=unique_key()),
        row(ana.id, entered, key=key),
        row(ana.id, ago(days=1)),
    ]
    reply = await importer.SubmitCheckInBatch(pb.SubmitCheckInBatchRequest(rows=rows))
    async with attendance_engine.connect() as connection:
        (body,) = await connection.scalars(
            text(
                "SELECT payload FROM outbox WHERE exchange = 'work' AND headers ->> 'job_id' = :job"
            ),
            {"job": reply.job.job_id},
        )
    # The same visit (ana's, at that entry) or another member's visit with the key.
    owner = ana.id if same_visit else bia.id
    returned = _meanwhile(
        monkeypatch, lambda: _commit_visit(attendance_engine, owner, entered, key), before
    )

    outcome = await imports.process_chunk(
        uow=SqlAlchemyUnitOfWork(create_session_factory(attendance_engine)),
        clock=system_clock,
        rules=gym_rules(import_settings),
        chunk=chunks.decode(body),
    )

    (ids,) = returned
    if before == "insert_checked":  # the row was accepted, then skipped by the insert
        assert [bool(visit_id) for visit_id in ids] == [True, False, True]
    else:  # the chunk was decided again, with the key now stored: the row was not accepted
        assert [bool(visit_id) for visit_id in ids] == [True, True]
    expected = (2, 1, 0) if same_visit else (2, 0, 1)
    assert (outcome.accepted, outcome.duplicates, outcome.rejected) == expected
    job = (await importer.GetCheckInBatch(pb.GetCheckInBatchRequest(job_id=reply.job.job_id))).job
    assert (job.accepted, job.duplicates, job.rejected) == expected
    if not same_visit:
        assert [(r.row_number, r.reason) for r in job.rejected_rows] == [
            (2, "IDEMPOTENCY_KEY_REUSED")
        ]
    stored = await visits_of(attendance_engine, [ana.id])
    assert len(stored) == (3 if same_visit else 2)
    (event,) = await import_events_of(attendance_engine, [ana.id])
    imported = sorted(visit.visit_id for visit in event.check_ins_imported.visits)
    assert imported == sorted(visit_id for visit_id in ids if visit_id)  # the two it stored
