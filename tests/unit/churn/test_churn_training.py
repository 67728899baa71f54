"""The whole training run, end to end, on a synthetic gym."""

from dataclasses import asdict, replace

import numpy as np
from churn_synthetic import SAO_PAULO

from frequenta_churn.ml.candidates import CANDIDATES
from frequenta_churn.ml.features import FEATURE_NAMES
from frequenta_churn.ml.training import ModelSchema, train


def test_training_compares_every_candidate_and_exports_the_best(trained):
    assert set(trained.models) == set(trained.metrics) == {c.name for c in CANDIDATES}
    assert trained.chosen == max(trained.metrics, key=lambda n: trained.metrics[n].pr_auc)
    for metrics in trained.metrics.values():
        assert 0.5 < metrics.roc_auc <= 1 and 0 < metrics.pr_auc <= 1
        assert metrics.n == trained.counts.holdout_rows
    assert trained.onnx[:2]  # bytes of a model
    assert trained.parity_max_diff <= 1e-5


def test_training_reports_its_window_and_counts(trained, synthetic_records):
    members, visits, end = synthetic_records
    window, counts = trained.window, trained.counts
    assert window.as_of == end and window.horizon_days == 30
    assert window.first_train_snapshot < window.last_train_snapshot < window.holdout_start
    assert (window.holdout_start - window.last_train_snapshot).days >= 30
    assert window.holdout_start <= window.holdout_end
    assert counts.members == len(members) and counts.visits == len(visits)
    assert counts.dropped_visits == 0
    assert counts.cancellations == sum(m.cancelled_at is not None for m in members)
    assert 0 < counts.train_positives < counts.train_rows
    assert 0 < counts.holdout_positives < counts.holdout_rows == trained.holdout.n


def test_the_schema_survives_a_round_trip_through_plain_data(trained):
    schema = trained.schema
    assert schema.feature_names == FEATURE_NAMES
    assert ModelSchema.from_dict(schema.to_dict()) == schema
    assert schema.matches_code()
    assert not replace(schema, feature_schema_version=0).matches_code()
    assert 0 < schema.bands.medium < schema.bands.high < 1


def test_the_same_seed_gives_the_same_model(synthetic_records, trained):
    members, visits, end = synthetic_records
    again = train(members, visits, as_of=end, horizon_days=30, seed=3, tz=SAO_PAULO)
    assert again.chosen == trained.chosen
    for name in trained.metrics:
        assert asdict(again.metrics[name]) == asdict(trained.metrics[name])
    assert np.array_equal(again.holdout.X, trained.holdout.X)
