"""Explanations: directions that make sense on constructed members, for any exported model;
Portuguese sentences; risk bands; recommendations."""

from datetime import datetime, timedelta

import numpy as np
import pytest
from churn_synthetic import SAO_PAULO

from frequenta_churn.ml.explain import (
    FACTOR_GROUPS,
    PLAN_RENEWAL,
    RENEWAL_QUANTILES,
    Direction,
    Reference,
    contributions,
    explain,
)
from frequenta_churn.ml.features import FEATURE_NAMES, INDEX, features_as_of
from frequenta_churn.ml.onnx_export import OnnxScorer, export_onnx
from frequenta_churn.ml.records import MemberRecord, VisitRecord
from frequenta_churn.ml.wording import (
    KEEP_GOING,
    RECOMMENDATIONS,
    RiskBand,
    RiskBands,
    recommendations,
    sentence,
)

AT = datetime(2025, 9, 1, tzinfo=SAO_PAULO)
ENROLLED = AT - timedelta(days=200)


def steady_member(absent_days: int, plan: str = "mensal") -> np.ndarray:
    """A visit every other day since enrollment, the last one ``absent_days`` local days ago."""
    member = MemberRecord(1, plan, {"mensal": 1, "anual": 12}[plan], ENROLLED, None)
    last = 200 - absent_days
    visits = [
        VisitRecord(1, entry, entry + timedelta(minutes=55))
        for day in range(last + 1)
        if day % 2 == 0 or day == last
        for entry in [ENROLLED + timedelta(days=day, hours=10)]
    ]
    return features_as_of(member, visits, AT, SAO_PAULO)


@pytest.fixture(scope="module", params=["chosen", "logistic_regression"])
def scorer(request, trained):
    if request.param == "chosen":
        return OnnxScorer(trained.onnx)
    return OnnxScorer(export_onnx(trained.models["logistic_regression"]))


def factor(factors, code):
    return next(f for f in factors if f.code == code)


def test_a_member_absent_for_30_days_has_absence_raising_the_risk(trained, scorer):
    gone, regular = steady_member(30), steady_member(1)
    assert gone[INDEX["days_since_last_visit"]] == 30
    (explained,) = explain(scorer, gone[None, :], trained.schema.reference, top_k=7)
    absence = factor(explained, "absence")
    assert absence.direction is Direction.INCREASES and absence.contribution > 0
    assert absence.sentence.startswith("30 dias sem vir à academia")
    assert scorer.risk(gone[None, :])[0] > scorer.risk(regular[None, :])[0]
    (explained,) = explain(scorer, regular[None, :], trained.schema.reference, top_k=7)
    assert factor(explained, "absence").direction is Direction.DECREASES


def test_factors_come_strongest_first_and_at_most_top_k(trained, scorer):
    rows = np.stack([steady_member(d) for d in (1, 5, 12, 30, 60)])
    for factors in explain(scorer, rows, trained.schema.reference, top_k=3):
        assert 0 < len(factors) <= 3
        weights = [f.weight for f in factors]
        assert weights == sorted(weights, reverse=True)
        assert all(f.weight == abs(f.contribution) for f in factors)


def test_a_member_at_the_reference_has_no_numeric_factor(trained, scorer):
    reference = trained.schema.reference
    row = np.zeros(len(FEATURE_NAMES))
    for group in FACTOR_GROUPS:
        values, _ = reference.alternatives[group.code][0]
        row[[INDEX[name] for name in group.features]] = values
    result = contributions(scorer, row[None, :], reference)[0]
    numeric = [i for i, g in enumerate(FACTOR_GROUPS) if g.code != PLAN_RENEWAL]
    assert np.allclose(result[numeric], 0.0, atol=1e-6)


def test_explaining_a_thousand_members_is_one_batch(trained):
    calls = []
    scorer = OnnxScorer(trained.onnx)

    class Counting:
        def risk(self, X):
            calls.append(X.shape[0])
            return scorer.risk(X)

    rows = trained.holdout.X[:1000]
    explained = explain(Counting(), rows, trained.schema.reference)
    assert len(explained) == len(rows) and len(calls) == 1
    renewal = len(trained.schema.reference.alternatives[PLAN_RENEWAL])
    assert renewal == 4 * len(RENEWAL_QUANTILES)  # the synthetic gym's four plans
    assert calls[0] == len(rows) * (1 + len(FACTOR_GROUPS) - 1 + renewal)


def test_plan_and_renewal_are_one_factor_that_follows_who_cancels(trained, scorer):
    """Monthly members cancel most in the synthetic gym (and in the simulator): their plan and
    renewal factor raises the risk on average; annual members far from their renewal have it
    lowered. (Explained as two factors, the plan of a monthly member came out lowering it.)"""
    X = trained.holdout.X
    column = [g.code for g in FACTOR_GROUPS].index(PLAN_RENEWAL)
    result = contributions(scorer, X, trained.schema.reference)[:, column]
    monthly = X[:, INDEX["plan_mensal"]] == 1
    annual_far = (X[:, INDEX["plan_anual"]] == 1) & (X[:, INDEX["days_to_plan_end"]] > 90)
    assert result[monthly].mean() > 0
    assert result[annual_far].mean() < 0


def test_a_reference_stored_with_separate_plan_factors_still_explains(trained, scorer):
    old = {
        code: alts
        for code, alts in trained.schema.reference.to_dict().items()
        if code != PLAN_RENEWAL
    }
    old["plan_cycle"] = [{"values": [17.0], "weight": 1.0}]
    old["plan"] = [
        {"values": [1.0, 0.0, 0.0, 0.0, 0.0], "weight": 0.6},
        {"values": [0.0, 0.0, 0.0, 1.0, 0.0], "weight": 0.4},
    ]
    reference = Reference.from_dict(old)
    assert reference.alternatives[PLAN_RENEWAL] == (
        ((17.0, 1.0, 0.0, 0.0, 0.0, 0.0), 0.6),
        ((17.0, 0.0, 0.0, 0.0, 1.0, 0.0), 0.4),
    )
    (factors,) = explain(scorer, steady_member(3)[None, :], reference, top_k=6)
    assert {f.code for f in factors} <= {g.code for g in FACTOR_GROUPS}


def values(**given: float) -> dict[str, float]:
    return {name: 0.0 for name in FEATURE_NAMES} | given


@pytest.mark.parametrize(
    ("code", "given", "expected"),
    [
        (
            "absence",
            {"days_since_last_visit": 12, "usual_gap_days": 3.2},
            "12 dias sem vir à academia; o intervalo habitual é de 3 dias",
        ),
        ("absence", {"days_since_last_visit": 0, "usual_gap_days": 2}, "veio à academia hoje"),
        (
            "frequency",
            {
                "visits_per_week_4w": 0.5,
                "baseline_visits_per_week": 3.0,
                "frequency_ratio": 0.28125,
            },
            "frequência caiu de 3,0 para 0,5 visitas por semana",
        ),
        (
            "frequency",
            {
                "visits_per_week_4w": 0.0,
                "baseline_visits_per_week": 0.25,
                "frequency_ratio": 0.671875,
            },
            "0,0 visitas por semana nas últimas 4 semanas",
        ),
        (
            "frequency",
            {"visits_per_week_4w": 2.5, "baseline_visits_per_week": 2.5, "frequency_ratio": 1.0},
            "2,5 visitas por semana nas últimas 4 semanas",
        ),
        (
            "plan_renewal",
            {"plan_mensal": 1.0, "days_to_plan_end": 12},
            "plano mensal; o ciclo atual termina em 12 dias",
        ),
        (
            "plan_renewal",
            {"plan_other": 1.0, "days_to_plan_end": 0},
            "plano fora dos planos padrão; o ciclo atual termina hoje",
        ),
        (
            "plan_renewal",
            {"plan_anual": 1.0, "days_to_plan_end": 1},
            "plano anual; o ciclo atual termina em 1 dia",
        ),
        ("tenure", {"tenure_days": 45}, "primeiros 90 dias de matrícula (45 dias)"),
        ("tenure", {"tenure_days": 400}, "matriculado há 13 meses"),
        (
            "regularity",
            {"active_weeks_share_8w": 0.375, "tenure_days": 300},
            "veio em 3 das últimas 8 semanas",
        ),
        ("visit_duration", {"avg_visit_minutes": 47.6}, "visitas de 48 minutos em média"),
    ],
)
def test_sentences_staff_understand(code, given, expected):
    everything = values(**given)
    group = next(g for g in FACTOR_GROUPS if g.code == code)
    own = {name: everything[name] for name in group.features}
    assert sentence(code, own, everything) == expected


def test_risk_bands_from_the_base_rate():
    bands = RiskBands.from_base_rate(0.06)
    assert (bands.medium, bands.high) == pytest.approx((0.09, 0.18))
    assert bands.band(0.05) is RiskBand.LOW
    assert bands.band(0.09) is RiskBand.MEDIUM
    assert bands.band(0.18) is RiskBand.HIGH
    assert RiskBand.MEDIUM.value == "médio"
    assert RiskBands.from_base_rate(0.5).high == 0.9


def test_recommendations_follow_the_factors_that_raise_the_risk():
    advice = recommendations(["absence", "plan_renewal", "tenure"], RiskBand.HIGH)
    assert advice == [RECOMMENDATIONS["absence"], RECOMMENDATIONS["plan_renewal"]]
    assert recommendations(["absence"], RiskBand.LOW) == [KEEP_GOING]
    assert recommendations([], RiskBand.HIGH) == [KEEP_GOING]
