"""One member's risk as served (GetChurnRisk's use case) with the session's trained model:
probability, band, the top factors with their headline values, recommendations, the flag for a
short history, and the defined answers for an unknown and a cancelled member."""

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from serving_fakes import NOW, SAO_PAULO, FakeMembers, rig, serving_model
from visit_rates_reference import reference_rates

from frequenta_churn.ml.explain import HEADLINE, Direction
from frequenta_churn.ml.features import INDEX, features_as_of
from frequenta_churn.ml.records import MemberRecord, VisitRecord
from frequenta_churn.ml.scoring import OnnxScorer
from frequenta_churn.ml.wording import KEEP_GOING, RiskBand
from frequenta_churn.serving.handlers import get_risk
from frequenta_churn.serving.risk import (
    LIMITED_HISTORY_DAYS,
    NEW_MEMBER_ADVICE,
    TOP_FACTORS,
    assess,
    history_features,
    member_facts,
)
from frequenta_kit.errors import Conflict, NotFound


def member(member_id: int, *, enrolled_days: int, gap: int, absent: int, plan="mensal"):
    """A visit every ``gap`` days from enrollment, the last one ``absent`` days ago."""
    enrolled = NOW - timedelta(days=enrolled_days, hours=2)
    record = MemberRecord(member_id, plan, {"mensal": 1, "anual": 12}[plan], enrolled, None)
    last = enrolled_days - absent
    days = sorted({*range(1, last, gap), last}) if last >= 1 else []
    visits = [
        VisitRecord(member_id, entry, entry + timedelta(minutes=50))
        for day in days
        for entry in [enrolled + timedelta(days=day, hours=1)]
    ]
    return record, visits


def answer(trained, record, visits):
    model = serving_model(trained)
    X = features_as_of(record, visits, NOW, SAO_PAULO)
    recent, usual = reference_rates(record, visits, NOW)
    facts = replace(
        member_facts(record, visits, NOW, SAO_PAULO),
        recent_visits_per_week=recent,
        usual_visits_per_week=usual,
    )
    (risk,) = assess(model, X[None, :], [facts], NOW)
    return model, X, risk


def test_the_answer_is_the_models_probability_band_and_strongest_factors(trained):
    record, visits = member(1, enrolled_days=300, gap=2, absent=40)
    model, X, risk = answer(trained, record, visits)
    expected = OnnxScorer(trained.onnx).risk(X[None, :].astype(np.float32))[0]
    assert risk.probability == pytest.approx(float(expected), abs=1e-7)
    assert risk.band is trained.schema.bands.band(risk.probability)
    assert (risk.model_version, risk.horizon_days, risk.computed_at) == ("v1", 30, NOW)
    assert (risk.plan_code, risk.tenure_days, risk.limited_history) == ("mensal", 300, False)
    assert risk.last_visit_at == max(v.entered_at for v in visits)
    assert 0 < len(risk.factors) <= TOP_FACTORS
    weights = [f.weight for f in risk.factors]
    assert weights == sorted(weights, reverse=True)
    absence = next(f for f in risk.factors if f.code == "absence")
    assert absence.direction is Direction.INCREASES
    assert absence.values[HEADLINE["absence"]] == X[INDEX["days_since_last_visit"]] == 40
    assert absence.sentence.startswith("40 dias sem vir à academia; o intervalo habitual é de 2")


def test_recommendations_follow_the_factors_that_raise_a_high_risk(trained):
    record, visits = member(2, enrolled_days=300, gap=2, absent=60)
    _, _, risk = answer(trained, record, visits)
    assert risk.band is not RiskBand.LOW
    assert risk.recommendations and KEEP_GOING not in risk.recommendations
    assert "Entrar em contato" in risk.recommendations[0]


def test_a_member_of_a_few_days_gets_a_score_flagged_as_limited(trained):
    record, visits = member(3, enrolled_days=9, gap=3, absent=1)
    _, _, risk = answer(trained, record, visits)
    assert 0 <= risk.probability <= 1 and risk.limited_history is True
    assert risk.tenure_days == 9
    tenure = next(f for f in risk.factors if f.code == "tenure")
    assert tenure.sentence == "primeiros 90 dias de matrícula (9 dias)"
    assert risk.recommendations[0] == NEW_MEMBER_ADVICE
    assert len(risk.factors) <= TOP_FACTORS + 1


def test_the_flag_ends_once_a_baseline_exists(trained):
    for days, limited in ((LIMITED_HISTORY_DAYS - 1, True), (LIMITED_HISTORY_DAYS, False)):
        record, visits = member(4, enrolled_days=days, gap=3, absent=1)
        assert answer(trained, record, visits)[2].limited_history is limited


def test_a_member_who_never_came_has_no_last_visit(trained):
    record, _ = member(5, enrolled_days=20, gap=3, absent=20)
    _, X, risk = answer(trained, record, [])
    assert risk.last_visit_at is None and X[INDEX["days_since_last_visit"]] == 20


async def test_get_risk_answers_from_the_projection_and_records_it(trained):
    r = rig(trained.schema, lambda onnx: OnnxScorer(onnx))
    r.source.serve("v1", trained.onnx)
    record, visits = member(6, enrolled_days=200, gap=2, absent=12)
    r.members.add(record, visits)
    risk = await get_risk(serving=r.serving, member_id=6)  # type: ignore[arg-type]
    _, _, expected = answer(trained, record, visits)
    assert risk == expected
    assert r.serving.recorder.pending == 1
    assert await r.serving.recorder.flush() == 1
    assert r.risks.latest[6] == risk


async def test_a_member_churn_does_not_know_is_not_found_and_the_lag_is_said(trained):
    r = rig(trained.schema, lambda onnx: OnnxScorer(onnx))
    r.source.serve("v1", trained.onnx)
    with pytest.raises(NotFound) as raised:
        await get_risk(serving=r.serving, member_id=404)  # type: ignore[arg-type]
    assert raised.value.code == "MEMBER_NOT_FOUND" and raised.value.field == "member_id"
    assert "projection" in raised.value.message and "retry" in raised.value.message


async def test_a_cancelled_member_is_a_conflict_with_the_date(trained):
    r = rig(trained.schema, lambda onnx: OnnxScorer(onnx))
    r.source.serve("v1", trained.onnx)
    record, visits = member(8, enrolled_days=200, gap=2, absent=12)
    cancelled = NOW - timedelta(days=3)
    r.members.add(MemberRecord(8, record.plan_code, 1, record.enrolled_at, cancelled), visits)
    with pytest.raises(Conflict) as raised:
        await get_risk(serving=r.serving, member_id=8)  # type: ignore[arg-type]
    assert raised.value.code == "MEMBERSHIP_CANCELLED"
    assert cancelled.astimezone(SAO_PAULO).date().isoformat() in raised.value.message
    assert r.serving.recorder.pending == 0


async def test_features_from_the_projections_arrays_equal_the_offline_ones(synthetic_records):
    """GetChurnRisk reads millisecond arrays, not records: same features, any member."""
    members, visits, end = synthetic_records
    fakes = FakeMembers()
    by_member: dict[int, list[VisitRecord]] = {}
    for visit in visits:
        by_member.setdefault(visit.member_id, []).append(visit)
    for record in members[:150]:
        fakes.add(record, by_member.get(record.member_id, []))
        history = await fakes.history(record.member_id)
        for at in (end, end - timedelta(days=45, hours=5)):
            X, facts = history_features(history, at, SAO_PAULO)
            own = by_member.get(record.member_id, [])
            np.testing.assert_array_equal(X, features_as_of(record, own, at, SAO_PAULO))
            expected = member_facts(record, own, at, SAO_PAULO)
            assert facts.tenure_days == expected.tenure_days
            recent, usual = reference_rates(record, own, at)
            assert facts.recent_visits_per_week == pytest.approx(recent, abs=0.011)
            assert facts.usual_visits_per_week == pytest.approx(usual, abs=0.011)
            if expected.last_visit_at is None:
                assert facts.last_visit_at is None
            else:
                assert abs(facts.last_visit_at - expected.last_visit_at) < timedelta(milliseconds=1)
