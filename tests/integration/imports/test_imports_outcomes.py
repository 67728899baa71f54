"""A batch travels the whole way (SubmitCheckInBatch -> outbox -> relay -> RabbitMQ -> ingestion
worker -> PostgreSQL) and every row gets the outcome a single check-in would give it, counted
as accepted, duplicate or rejected, with the rejected rows' numbers and reasons."""

from datetime import UTC, datetime, timedelta

import grpc
from imports_support import (
    ago,
    finished_job,
    import_events_of,
    now,
    rejections,
    row,
    rpc_error,
    ts,
    unique_key,
    visits_of,
)

from frequenta.attendance.v1 import attendance_pb2 as pb


async def test_each_row_is_accepted_deduplicated_or_rejected_with_its_reason(
    importer, pipeline, new_member, attendance_engine, poll
):
    base = now()

    def at(days: float, hours: float = 0) -> datetime:
        return base - timedelta(days=days, hours=hours)

    ana, bia = await new_member(), await new_member()
    late = await new_member(enrolled_at=ts(at(10)))
    gone = await new_member()
    await importer.CancelMembership(
        pb.CancelMembershipRequest(
            member_id=gone.id, cancelled_at=ts(at(5)), reason=pb.CANCELLATION_REASON_PRICE
        )
    )
    await importer.RecordCheckIn(
        pb.RecordCheckInRequest(member_id=bia.id, entered_at=ts(at(3)), exited_at=ts(at(3, -1)))
    )
    key = unique_key()
    # Chunks of 4 rows grouped by member, processed concurrently: ana's 11 rows span three
    # chunks, decided in batch order within each; across chunks the member's lock orders
    # them, so only pairs whose outcome does not depend on that order straddle chunks.
    rows = [
        row(ana.id, at(20), at(20, -1), key=key, device="catraca-01"),  # 1
        row(ana.id, at(20), at(20, -1), key=key),  # 2 same key, same visit: duplicate
        row(ana.id, at(18), key=key),  # 3 same key, other entry
        row(ana.id, at(19)),  # 4
        row(ana.id, at(19)),  # 5 no key: same member and entry as row 4, a duplicate
        row(bia.id, at(3)),  # 6 stored by RecordCheckIn before: a duplicate
        row(bia.id, at(3, -0.5), key=unique_key()),  # 7 inside that stored visit
        row(987_654_321, at(2)),  # 8
        row(gone.id, at(4)),  # 9 after the cancellation
        row(gone.id, at(6), at(6, -2)),  # 10 history from before it
        row(late.id, at(11)),  # 11 before the enrollment
        row(ana.id, base + timedelta(minutes=10)),  # 12 in the future
        row(ana.id, at(17), at(17, 1)),  # 13 exit before entry
        row(ana.id, at(16), at(16, -7)),  # 14 seven hours
        row(ana.id, at(15), at(15, -2)),  # 15
        row(ana.id, at(15, -1), at(15, -3)),  # 16 overlaps row 15
        row(0, at(1)),  # 17 not an id
        row(ana.id, None),  # 18 no entry
    ]
    reply = await importer.SubmitCheckInBatch(pb.SubmitCheckInBatchRequest(rows=rows))
    assert reply.job.state == pb.JOB_STATE_QUEUED
    assert reply.job.total_rows == len(rows)
    assert reply.job.HasField("submitted_at") and not reply.job.HasField("started_at")

    job = await finished_job(importer, reply.job.job_id, poll)
    assert job.state == pb.JOB_STATE_SUCCEEDED, job
    assert (job.processed_rows, job.accepted, job.duplicates, job.rejected) == (18, 4, 3, 11)
    assert rejections(job) == [
        (3, "IDEMPOTENCY_KEY_REUSED"),
        (7, "VISIT_OVERLAPS"),
        (8, "MEMBER_NOT_FOUND"),
        (9, "MEMBERSHIP_CANCELLED"),
        (11, "BEFORE_ENROLLMENT"),
        (12, "TIMESTAMP_IN_FUTURE"),
        (13, "EXIT_BEFORE_ENTRY"),
        (14, "VISIT_TOO_LONG"),
        (16, "VISIT_OVERLAPS"),
        (17, "VALIDATION_ERROR"),
        (18, "VALIDATION_ERROR"),
    ]
    assert all(r.message for r in job.rejected_rows)
    assert "row 15 of this batch" in job.rejected_rows[8].message
    assert job.HasField("started_at") and job.HasField("finished_at")
    assert job.started_at.ToDatetime() <= job.finished_at.ToDatetime()

    landed = await visits_of(attendance_engine, [ana.id, bia.id, gone.id])
    assert [(m, entered, source) for m, entered, _, source, _, _ in landed] == [
        (ana.id, at(20), "importacao"),
        (ana.id, at(19), "importacao"),
        (ana.id, at(15), "importacao"),
        (bia.id, at(3), "recepcao"),
        (gone.id, at(6), "importacao"),
    ]
    assert landed[0][4:] == ("catraca-01", key)

    events = await import_events_of(attendance_engine, [ana.id, bia.id, gone.id])
    imported: dict[int, list[datetime]] = {}
    for envelope in events:
        assert envelope.event_type == "checkins.imported"
        assert envelope.check_ins_imported.job_id == job.job_id
        imported.setdefault(envelope.member_id, []).extend(
            visit.entered_at.ToDatetime(tzinfo=UTC) for visit in envelope.check_ins_imported.visits
        )
    assert {member: sorted(entries) for member, entries in imported.items()} == {
        ana.id: [at(20), at(19), at(15)],
        gone.id: [at(6)],
    }


async def test_the_same_batch_sent_again_stores_nothing_new(
    importer, pipeline, new_member, attendance_engine, poll
):
    member = await new_member()
    rows = [
        row(member.id, ago(days=d), ago(days=d, hours=-1), key=unique_key()) for d in range(1, 6)
    ] + [row(member.id, ago(days=d, hours=3)) for d in range(1, 6)]
    first = await importer.SubmitCheckInBatch(pb.SubmitCheckInBatchRequest(rows=rows))
    job = await finished_job(importer, first.job.job_id, poll)
    assert (job.accepted, job.duplicates, job.rejected) == (10, 0, 0)

    again = await importer.SubmitCheckInBatch(pb.SubmitCheckInBatchRequest(rows=rows))
    assert again.job.job_id != first.job.job_id
    job = await finished_job(importer, again.job.job_id, poll)
    assert (job.accepted, job.duplicates, job.rejected) == (0, 10, 0)
    assert len(await visits_of(attendance_engine, [member.id])) == 10
    assert len(await import_events_of(attendance_engine, [member.id])) == 3  # chunks of 4 rows


async def test_keys_stored_before_are_found_whatever_else_is_wrong_with_the_row(
    importer, pipeline, new_member, attendance_engine, poll
):
    """The worker first decides a chunk as if none of its keys were stored (the insert proves
    it for the rows it stores): a stored key must still decide a row it accepts (the insert
    meets it) and one it refuses for another reason (the key comes first, as for a single
    check-in), in the first sending and in the next."""
    ana, bia = await new_member(), await new_member()
    taken, other = unique_key(), unique_key()
    for days, key in ((30, taken), (29, other)):
        await importer.RecordCheckIn(
            pb.RecordCheckInRequest(
                member_id=bia.id, entered_at=ts(ago(days=days)), idempotency_key=key
            )
        )
    await importer.RecordCheckIn(
        pb.RecordCheckInRequest(
            member_id=ana.id, entered_at=ts(ago(days=8)), exited_at=ts(ago(days=8, hours=-2))
        )
    )
    rows = [
        row(ana.id, ago(days=9), key=unique_key()),  # 1 fine
        row(ana.id, ago(days=8, hours=-1), key=taken),  # 2 inside the stored visit; bia's key
        row(ana.id, ago(days=7), key=other),  # 3 bia's key, nothing else wrong
    ]
    # Each case alone in a batch first: either one makes the chunk read every key.
    for sent, outcome, refused in (
        (rows[:2], (1, 0, 1), [(2, "IDEMPOTENCY_KEY_REUSED")]),
        (rows[2:], (0, 0, 1), [(1, "IDEMPOTENCY_KEY_REUSED")]),
        (rows, (0, 1, 2), [(2, "IDEMPOTENCY_KEY_REUSED"), (3, "IDEMPOTENCY_KEY_REUSED")]),
    ):
        reply = await importer.SubmitCheckInBatch(pb.SubmitCheckInBatchRequest(rows=sent))
        job = await finished_job(importer, reply.job.job_id, poll)
        assert ((job.accepted, job.duplicates, job.rejected), rejections(job)) == (
            outcome,
            refused,
        )
    assert len(await visits_of(attendance_engine, [ana.id])) == 2


async def test_a_batch_source_is_stored_on_every_row(
    importer, pipeline, new_member, attendance_engine, poll
):
    member = await new_member()
    reply = await importer.SubmitCheckInBatch(
        pb.SubmitCheckInBatchRequest(
            rows=[row(member.id, ago(days=2))], source=pb.CHECK_IN_SOURCE_TURNSTILE
        )
    )
    await finished_job(importer, reply.job.job_id, poll)
    (visit,) = await visits_of(attendance_engine, [member.id])
    assert visit[3] == "catraca"


async def test_batches_out_of_bounds_and_unknown_jobs_are_refused(importer):
    empty = await rpc_error(importer.SubmitCheckInBatch(pb.SubmitCheckInBatchRequest()))
    assert (empty.status, empty.reason, empty.field) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "VALIDATION_ERROR",
        "rows",
    )
    too_many = pb.SubmitCheckInBatchRequest(
        rows=[pb.CheckInRow(member_id=1, entered_at=ts(ago(days=1)))] * 100_001
    )
    error = await rpc_error(importer.SubmitCheckInBatch(too_many))
    assert (error.status, error.field) == (grpc.StatusCode.INVALID_ARGUMENT, "rows")

    unknown = await rpc_error(
        importer.GetCheckInBatch(
            pb.GetCheckInBatchRequest(job_id="1b4e28ba-2fa1-41d2-883f-0016d3cca427")
        )
    )
    assert (unknown.status, unknown.reason) == (grpc.StatusCode.NOT_FOUND, "JOB_NOT_FOUND")
    malformed = await rpc_error(importer.GetCheckInBatch(pb.GetCheckInBatchRequest(job_id="x")))
    assert (malformed.status, malformed.field) == (grpc.StatusCode.INVALID_ARGUMENT, "job_id")
