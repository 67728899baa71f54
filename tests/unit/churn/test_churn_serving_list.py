"""The at-risk list: every active member scored in one snapshot (equal to the online answer of
each), ranked, filtered by band, plan and tenure, paginated, explained page by page, rescored
on a model swap, without members cancelled after the snapshot; the served rows recorded."""

import asyncio
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from churn_synthetic import synthetic_gym
from serving_fakes import SAO_PAULO, rig, serving_model
from visit_rates_reference import reference_rates

from frequenta_churn.ml.features import features_as_of
from frequenta_churn.ml.records import GymColumns
from frequenta_churn.ml.scoring import OnnxScorer
from frequenta_churn.ml.wording import RiskBand
from frequenta_churn.serving.handlers import CANCELLED_LOOKBACK, list_at_risk
from frequenta_churn.serving.risk import member_facts
from frequenta_churn.serving.snapshot import (
    BAND_ORDER,
    AtRiskFilter,
    facts_at,
    score_snapshot,
    select,
)
from frequenta_kit.errors import InvalidInput


@pytest.fixture(scope="module")
def gym():
    members, visits, end = synthetic_gym(members=300, days=200, seed=11)
    active = [m for m in members if m.cancelled_at is None]
    return active, visits, end


@pytest.fixture(scope="module")
def columns(gym):
    active, visits, _ = gym
    return GymColumns.from_records(active, visits, SAO_PAULO)


def test_the_snapshot_ranks_every_active_member_as_the_online_answer_would(trained, gym, columns):
    active, visits, end = gym
    snapshot = score_snapshot(serving_model(trained), columns, end)
    assert snapshot.size == len(active)
    p = snapshot.probabilities
    assert np.all(p[:-1] >= p[1:])
    by_member = {m.member_id: m for m in active}
    scorer = OnnxScorer(trained.onnx)
    for position in (0, 1, snapshot.size // 2, snapshot.size - 1):
        member_id = int(snapshot.member_ids[position])
        own = [v for v in visits if v.member_id == member_id]
        online = features_as_of(by_member[member_id], own, end, SAO_PAULO)
        np.testing.assert_array_equal(snapshot.X[position], online.astype(np.float32))
        # one row alone or among many: onnxruntime may sum in another order (float32 ulps)
        single = scorer.risk(online[None, :])[0]
        assert snapshot.probabilities[position] == pytest.approx(single, abs=1e-6)
        band = trained.schema.bands.band(float(snapshot.probabilities[position]))
        assert BAND_ORDER[snapshot.bands[position]] is band
        (facts,) = facts_at(snapshot, np.array([position]))
        online_facts = member_facts(by_member[member_id], own, end, SAO_PAULO)
        recent, usual = reference_rates(by_member[member_id], own, end)
        assert facts == replace(
            online_facts,
            last_visit_at=facts.last_visit_at,
            recent_visits_per_week=recent,
            usual_visits_per_week=usual,
        )
        if facts.last_visit_at is not None:  # the snapshot reads milliseconds
            assert abs(facts.last_visit_at - online_facts.last_visit_at) < timedelta(milliseconds=1)


def test_filters_select_in_rank_order(trained, gym, columns):
    _, _, end = gym
    snapshot = score_snapshot(serving_model(trained), columns, end)
    everyone = select(snapshot, AtRiskFilter())
    assert everyone.tolist() == list(range(snapshot.size))
    high = select(snapshot, AtRiskFilter(min_band=RiskBand.HIGH))
    medium_up = select(snapshot, AtRiskFilter(min_band=RiskBand.MEDIUM))
    assert 0 < high.size < medium_up.size < snapshot.size
    assert np.all(snapshot.probabilities[high] >= trained.schema.bands.high)
    monthly_new = select(snapshot, AtRiskFilter(plan_code="mensal", max_tenure_days=60))
    assert monthly_new.size and np.all(snapshot.plan_codes[monthly_new] == "mensal")
    assert np.all(snapshot.tenure_days[monthly_new] <= 60)
    assert np.all(np.diff(monthly_new) > 0)
    first = snapshot.member_ids[:3]
    assert select(snapshot, AtRiskFilter(), exclude=first).size == snapshot.size - 3


async def test_pages_are_explained_with_the_snapshots_model_and_recorded(trained, gym, columns):
    _, _, end = gym
    r = rig(trained.schema, lambda onnx: OnnxScorer(onnx))
    r.clock.now = end
    r.source.serve("v1", trained.onnx)
    r.active.append(columns)
    first = await list_at_risk(uow=r.uow(), serving=r.serving, page_size=10)  # type: ignore[arg-type]
    second = await list_at_risk(uow=r.uow(), serving=r.serving, page=2, page_size=10)  # type: ignore[arg-type]
    assert first.total == second.total == columns.n_members
    assert (first.model_version, first.computed_at) == ("v1", end)
    ranked = [risk.probability for risk in first.risks + second.risks]
    assert ranked == sorted(ranked, reverse=True) and len(ranked) == 20
    assert all(0 < len(risk.factors) <= 4 for risk in first.risks)
    assert len({risk.member_id for risk in first.risks + second.risks}) == 20
    assert r.serving.snapshots.computed == 1  # both pages from one snapshot
    await r.serving.recorder.flush()
    assert set(r.risks.latest) == {risk.member_id for risk in first.risks + second.risks}
    high = await list_at_risk(uow=r.uow(), serving=r.serving, min_band=RiskBand.HIGH)  # type: ignore[arg-type]
    assert high.total and all(risk.band is RiskBand.HIGH for risk in high.risks)
    assert len(high.risks) == min(high.total, 50)
    empty = await list_at_risk(uow=r.uow(), serving=r.serving, page=999)  # type: ignore[arg-type]
    assert empty.risks == [] and empty.total == columns.n_members


async def test_members_cancelled_after_the_snapshot_are_left_out(trained, gym, columns):
    _, _, end = gym
    r = rig(trained.schema, lambda onnx: OnnxScorer(onnx))
    r.clock.now = end
    r.source.serve("v1", trained.onnx)
    r.active.append(columns)
    before = await list_at_risk(uow=r.uow(), serving=r.serving, page_size=5)  # type: ignore[arg-type]
    r.risks.cancelled = [before.risks[0].member_id, 999_999]
    after = await list_at_risk(uow=r.uow(), serving=r.serving, page_size=5)  # type: ignore[arg-type]
    assert after.total == before.total - 1
    assert [risk.member_id for risk in after.risks] == [
        risk.member_id for risk in before.risks[1:]
    ] + [after.risks[-1].member_id]
    assert r.risks.cancelled_queries[-1] == end - CANCELLED_LOOKBACK


async def test_a_model_swap_rescores_the_snapshot(trained, gym, columns):
    _, _, end = gym
    r = rig(trained.schema)  # ConstantScorer: the bytes are the probability
    r.clock.now = end
    r.source.serve("low", b"0.01")
    r.active.append(columns)
    page = await list_at_risk(uow=r.uow(), serving=r.serving)  # type: ignore[arg-type]
    assert [risk.probability for risk in page.risks] == pytest.approx([0.01] * 50)
    r.source.serve("high", b"0.99")
    await r.serving.holder.refresh()
    r.clock.advance(minutes=1)
    page = await list_at_risk(uow=r.uow(), serving=r.serving)  # type: ignore[arg-type]
    assert page.model_version == "high" and page.computed_at == end + timedelta(minutes=1)
    assert {risk.band for risk in page.risks} == {RiskBand.HIGH}
    assert r.serving.snapshots.computed == 2


async def test_a_failed_rescore_keeps_answering_from_the_previous_snapshot(trained, columns):
    r = rig(trained.schema)
    r.source.serve("low", b"0.01")
    r.active.append(columns)
    await list_at_risk(uow=r.uow(), serving=r.serving)  # type: ignore[arg-type]
    r.active.append(None)  # the next read "fails"
    r.source.serve("high", b"0.99")
    await r.serving.holder.refresh()
    page = await list_at_risk(uow=r.uow(), serving=r.serving)  # type: ignore[arg-type]
    assert page.model_version == "low"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"page": -1}, "page"),
        ({"page_size": 201}, "page_size"),
        ({"page_size": -5}, "page_size"),
        ({"max_tenure_days": -1}, "max_tenure_days"),
    ],
)
async def test_invalid_pages_and_filters_are_refused(trained, arguments, field):
    r = rig(trained.schema)
    with pytest.raises(InvalidInput) as raised:
        await list_at_risk(uow=r.uow(), serving=r.serving, **arguments)  # type: ignore[arg-type]
    assert raised.value.field == field


async def test_a_slow_history_write_does_not_hold_the_list(trained, columns):
    """The day's history (every active member) is written in the background."""
    r = rig(trained.schema)
    r.source.serve("v1", b"0.3")
    r.active.append(columns)
    release = asyncio.Event()
    written = r.risks.add_history

    async def slow_history(**row) -> None:
        await release.wait()
        await written(**row)

    r.risks.add_history = slow_history  # type: ignore[method-assign]
    page = await asyncio.wait_for(
        list_at_risk(uow=r.uow(), serving=r.serving, page_size=3),  # type: ignore[arg-type]
        timeout=5,
    )
    assert len(page.risks) == 3 and r.risks.history == []
    release.set()
    await r.serving.snapshots.settled()
    assert len(r.risks.history) == 1
