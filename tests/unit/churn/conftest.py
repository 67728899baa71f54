"""One small synthetic gym and one training run on it, shared by the churn unit tests."""

import pytest
from churn_synthetic import SAO_PAULO, synthetic_gym

from frequenta_churn.ml.training import TrainingResult, train


@pytest.fixture(scope="session")
def synthetic_records():
    return synthetic_gym(members=700, days=330, seed=7)


@pytest.fixture(scope="session")
def trained(synthetic_records) -> TrainingResult:
    members, visits, end = synthetic_records
    return train(members, visits, as_of=end, horizon_days=30, seed=3, tz=SAO_PAULO)
