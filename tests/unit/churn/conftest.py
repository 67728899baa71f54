"""One small synthetic gym shared by the churn unit tests."""

import pytest
from churn_synthetic import synthetic_gym


@pytest.fixture(scope="session")
def synthetic_records():
    return synthetic_gym(members=700, days=330, seed=7)
