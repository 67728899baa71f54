"""Served predictions are written behind the answers: batched, the newest per member, kept
through a failed write (bounded), flushed when stopping; the daily history once per local day."""

import asyncio
from dataclasses import replace
from datetime import timedelta

from serving_fakes import NOW, SAO_PAULO, FakeRisks, FakeUnitOfWork, rig

from frequenta_churn.ml.records import GymColumns, MemberRecord
from frequenta_churn.ml.wording import RiskBand
from frequenta_churn.serving.recorder import RiskRecorder
from frequenta_churn.serving.risk import MemberRisk


def risk(member_id: int, probability: float = 0.2, minutes: int = 0) -> MemberRisk:
    return MemberRisk(
        member_id=member_id,
        probability=probability,
        band=RiskBand.MEDIUM,
        factors=(),
        recommendations=("Manter o acompanhamento habitual.",),
        model_version="v1",
        horizon_days=30,
        computed_at=NOW + timedelta(minutes=minutes),
        plan_code="mensal",
        limited_history=False,
        tenure_days=100,
        last_visit_at=None,
    )


def recorder(max_pending: int = 100) -> tuple[RiskRecorder, FakeRisks]:
    risks = FakeRisks()
    return (
        RiskRecorder(lambda: FakeUnitOfWork(risks), SAO_PAULO, max_pending=max_pending),  # type: ignore[arg-type]
        risks,
    )


async def test_answers_are_written_in_one_batch_the_newest_per_member():
    rec, risks = recorder()
    rec.record([risk(1), risk(2)])
    rec.record([risk(1, 0.9, minutes=1)])
    assert rec.pending == 2 and risks.upserts == []
    assert await rec.flush() == 2
    assert len(risks.upserts) == 1 and risks.latest[1].probability == 0.9
    assert await rec.flush() == 0 and len(risks.upserts) == 1


async def test_a_failed_write_keeps_the_answers_for_the_next_flush():
    rec, risks = recorder()
    rec.record([risk(1), risk(2)])
    risks.fail = True
    assert await rec.flush() == 0 and rec.pending == 2
    rec.record([risk(2, 0.7, minutes=1)])
    risks.fail = False
    assert await rec.flush() == 2
    assert risks.latest[2].probability == 0.7 and rec.written == 2


async def test_beyond_the_bound_the_oldest_unwritten_answers_are_dropped():
    rec, risks = recorder(max_pending=4)
    risks.fail = True
    rec.record([risk(n) for n in range(1, 7)])
    assert await rec.flush() == 0
    assert rec.pending == 4
    risks.fail = False
    await rec.flush()
    assert sorted(risks.latest) == [3, 4, 5, 6]


async def test_the_loop_writes_soon_and_flushes_when_stopped(poll):
    rec, risks = recorder()
    stop = asyncio.Event()
    loop = asyncio.create_task(rec.run(stop))
    rec.record([risk(1)])

    async def written() -> bool:
        return 1 in risks.latest

    await poll(written, within=5, what="the answer written by the loop")
    rec.record([risk(2)])
    stop.set()
    await asyncio.wait_for(loop, 5)
    assert 2 in risks.latest


async def test_the_snapshot_is_kept_as_history_once_per_local_day(trained):
    r = rig(trained.schema)
    r.source.serve("v1", b"0.3")
    member = MemberRecord(1, "mensal", 1, NOW - timedelta(days=90), None)
    r.active.append(GymColumns.from_records([member], [], SAO_PAULO))
    snapshot = await r.serving.snapshots.refresh()
    await r.serving.snapshots.settled()  # recorded in the background
    assert len(r.risks.history) == 1
    row = r.risks.history[0]
    assert row["day"] == NOW.astimezone(SAO_PAULO).date() and row["version"] == "v1"
    assert row["member_ids"].tolist() == [1] and row["bands"] == ["high"]
    assert not await r.serving.recorder.record_snapshot(snapshot)  # the same day: kept
    later = replace(snapshot, computed_at=NOW + timedelta(days=1))
    assert await r.serving.recorder.record_snapshot(later)
    assert len(r.risks.history) == 2
