"""Point in time: snapshots see only the past, exclude unfinished horizons and cancelled
members, are labelled from the next H days, and the split keeps a gap of H days."""

from datetime import datetime, time, timedelta

import numpy as np
from churn_synthetic import SAO_PAULO

from frequenta_churn.ml.localtime import to_ms
from frequenta_churn.ml.records import GymColumns, MemberRecord, VisitRecord
from frequenta_churn.ml.snapshots import build_snapshots, snapshot_instants, temporal_split

HORIZON = 30


def columns(records) -> GymColumns:
    members, visits, _ = records
    return GymColumns.from_records(members, visits, SAO_PAULO)


def test_future_visits_and_cancellations_cannot_change_a_snapshot(synthetic_records):
    members, visits, end = synthetic_records
    gym = columns(synthetic_records)
    instants = snapshot_instants(gym, as_of=end, horizon_days=HORIZON)
    for at in instants[3::9]:
        honest = build_snapshots(gym, [at], horizon_days=HORIZON)
        # Rewrite everything from `at` on: exits of visits still open at `at` move, later visits
        # vanish or are replaced by a daily visit from `at` on, cancellations move to right after.
        tampered_visits = []
        for v in visits:
            if v.entered_at >= at:
                continue
            if v.exited_at is not None and v.exited_at >= at:
                v = VisitRecord(v.member_id, v.entered_at, v.exited_at + timedelta(hours=3))
            tampered_visits.append(v)
        for member in members:
            for day in range(40):
                entry = at + timedelta(days=day, minutes=1 if day == 0 else 600)
                tampered_visits.append(VisitRecord(member.member_id, entry, None))
            tampered_visits.append(VisitRecord(member.member_id, at, at + timedelta(hours=2)))
        tampered_members = [
            MemberRecord(
                m.member_id,
                m.plan_code,
                m.plan_duration_months,
                m.enrolled_at,
                at + timedelta(seconds=1),
            )
            if m.cancelled_at is None or m.cancelled_at > at
            else m
            for m in members
        ]
        leaked = build_snapshots(
            GymColumns.from_records(tampered_members, tampered_visits, SAO_PAULO),
            [at],
            horizon_days=HORIZON,
        )
        assert np.array_equal(leaked.member_ids, honest.member_ids)
        assert np.array_equal(leaked.X, honest.X)
        assert leaked.y.all()  # the labels did see the new cancellations: they are the future


def test_snapshot_instants_are_weekly_local_midnights_with_finished_horizons(synthetic_records):
    _, _, end = synthetic_records
    gym = columns(synthetic_records)
    instants = snapshot_instants(gym, as_of=end, horizon_days=HORIZON)
    assert len(instants) > 20
    assert all(t.astimezone(SAO_PAULO).time() == time(0) for t in instants)
    assert all((b - a) == timedelta(days=7) for a, b in zip(instants, instants[1:], strict=False))
    assert all(t + timedelta(days=HORIZON) <= end for t in instants)
    assert instants[-1] + timedelta(days=HORIZON + 7) > end  # the last possible one


def test_rows_are_active_members_labelled_from_the_next_horizon(synthetic_records):
    members, _, end = synthetic_records
    gym = columns(synthetic_records)
    instants = snapshot_instants(gym, as_of=end, horizon_days=HORIZON)
    snapshots = build_snapshots(gym, instants, horizon_days=HORIZON)
    by_id = {m.member_id: m for m in members}
    seen = set()
    for member_id, at_ms, label in zip(
        snapshots.member_ids, snapshots.at_ms, snapshots.y, strict=True
    ):
        member = by_id[int(member_id)]
        assert to_ms(member.enrolled_at) < at_ms
        cancelled = None if member.cancelled_at is None else to_ms(member.cancelled_at)
        assert cancelled is None or cancelled > at_ms  # never a snapshot after cancelling
        expected = cancelled is not None and cancelled <= at_ms + HORIZON * 86_400_000
        assert bool(label) == expected
        seen.add((int(member_id), int(at_ms)))
    expected_rows = {
        (m.member_id, to_ms(t))
        for t in instants
        for m in members
        if m.enrolled_at < t and (m.cancelled_at is None or m.cancelled_at > t)
    }
    assert seen == expected_rows
    assert 0 < snapshots.y.mean() < 0.5


def test_no_snapshot_before_enrollment_or_after_cancellation():
    enrolled = datetime(2025, 1, 6, 9, tzinfo=SAO_PAULO)
    cancelled = datetime(2025, 4, 2, 18, tzinfo=SAO_PAULO)
    members = [
        MemberRecord(1, "mensal", 1, enrolled, cancelled),
        MemberRecord(2, "anual", 12, enrolled + timedelta(days=70), None),
    ]
    visits = [VisitRecord(1, enrolled + timedelta(days=d, hours=2), None) for d in range(80)]
    gym = GymColumns.from_records(members, visits, SAO_PAULO)
    as_of = datetime(2025, 7, 1, tzinfo=SAO_PAULO)
    instants = snapshot_instants(gym, as_of=as_of, horizon_days=HORIZON, warmup_days=0)
    snapshots = build_snapshots(gym, instants, horizon_days=HORIZON)
    first = snapshots.at_ms[snapshots.member_ids == 1]
    second = snapshots.at_ms[snapshots.member_ids == 2]
    assert first.max() < to_ms(cancelled) and second.min() > to_ms(members[1].enrolled_at)
    labelled = snapshots.at_ms[(snapshots.member_ids == 1) & (snapshots.y == 1)]
    assert labelled.min() >= to_ms(cancelled - timedelta(days=HORIZON))
    assert snapshots.y[snapshots.member_ids == 2].sum() == 0


def test_the_split_trains_on_the_past_with_a_gap_of_one_horizon(synthetic_records):
    _, _, end = synthetic_records
    gym = columns(synthetic_records)
    instants = snapshot_instants(gym, as_of=end, horizon_days=HORIZON)
    split = temporal_split(
        build_snapshots(gym, instants, horizon_days=HORIZON),
        instants,
        horizon_days=HORIZON,
        holdout_fraction=0.2,
    )
    assert len(split.holdout_instants) == -(-len(instants) * 2 // 10)
    assert list(split.holdout_instants) == instants[-len(split.holdout_instants) :]
    start = split.holdout_instants[0]
    assert all(t + timedelta(days=HORIZON) <= start for t in split.train_instants)
    skipped = [t for t in instants if t not in split.train_instants + split.holdout_instants]
    assert skipped and all(t + timedelta(days=HORIZON) > start for t in skipped)
    assert split.train.at_ms.max() + HORIZON * 86_400_000 <= split.holdout.at_ms.min()
