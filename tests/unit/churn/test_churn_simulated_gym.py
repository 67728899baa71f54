"""Training on a small seeded gym from the simulator (tools/frequenta_sim): the boosted model
must rank the members who are about to cancel better than the recency rule staff would use by
hand, and than logistic regression, with calibrated probabilities."""

from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from frequenta_churn.ml.records import MemberRecord, VisitRecord
from frequenta_churn.ml.training import train
from frequenta_sim.generator import simulate
from frequenta_sim.params import SimParams
from frequenta_sim.records import training_records


@pytest.fixture(scope="module")
def simulated():
    gym = simulate(
        SimParams(members=800, months=12), seed=1, until=datetime(2026, 3, 1, 3, tzinfo=UTC)
    )
    data = training_records(gym)
    members = [MemberRecord(**asdict(m)) for m in data.members]
    visits = [VisitRecord(**asdict(v)) for v in data.visits]
    return train(members, visits, as_of=data.until, horizon_days=30, seed=1)


def test_gradient_boosting_beats_the_recency_rule_and_logistic_regression(simulated):
    metrics = simulated.metrics
    boosted = metrics["gradient_boosting"]
    assert boosted.pr_auc > metrics["recency_rule"].pr_auc
    assert boosted.pr_auc > metrics["logistic_regression"].pr_auc
    assert boosted.roc_auc > metrics["recency_rule"].roc_auc
    assert simulated.chosen == "gradient_boosting"


def test_the_chosen_model_is_calibrated_and_exported_with_parity(simulated):
    assert simulated.chosen_metrics.ece <= 0.03
    assert simulated.parity_max_diff <= 1e-5
    assert simulated.counts.holdout_positives >= 100
