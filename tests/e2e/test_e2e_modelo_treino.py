"""The model's lifecycle through the real processes (the Procfile's, retrain worker included),
on a stack of its own so the session's stack keeps no model: a small simulated gym seeded over
REST, POST /modelo/retreino trains from attendance's export stream, GET /modelo serves the
version, the list shows it, a rollback has nowhere to go, and `train --if-none` leaves it."""

import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from e2e_stack import ROOT, launch_stack
from e2e_support import assert_error

from frequenta_sim.generator import simulate
from frequenta_sim.loader import GymLoader
from frequenta_sim.params import SimParams

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def trained_stack(request, tmp_path_factory, rabbitmq_url):
    with launch_stack(request, tmp_path_factory.mktemp("training"), rabbitmq_url) as stack:
        yield stack


def wait_for_job(api: httpx.Client, location: str, within: float = 120.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        job = api.get(location).json()
        if job["estado"] in {"concluido", "falhou"}:
            return job
        assert time.monotonic() < deadline, f"job still {job['estado']} after {within:.0f}s"
        time.sleep(0.5)


@pytest.mark.timeout(300)
def test_a_retraining_request_trains_the_model_that_then_serves(trained_stack) -> None:
    until = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    seed = uuid.uuid4().int % 1_000_000_000
    gym = simulate(replace(SimParams(), members=150, months=8), seed=seed, until=until)
    with trained_stack.client(timeout=30) as api:
        loaded = GymLoader(api, batch_size=5000, workers=4, job_timeout=120, progress=False).load(
            gym
        )
        assert loaded.accepted == gym.visit_count, loaded.lines()
        assert_error(api.get("/modelo"), 503, "NO_MODEL")
        assert api.get("/modelo/versoes").json() == {"versoes": []}

        response = api.post("/modelo/retreino", json={"promover_se_melhor": True})
        assert response.status_code == 202, response.text
        job = wait_for_job(api, response.headers["location"])

        assert job["estado"] == "concluido", job
        assert job["promovido"] is True and job["versao_modelo"]
        model = api.get("/modelo")
        assert model.status_code == 200, model.text
        body = model.json()
        assert (body["versao"], body["em_producao"], body["motivo_promocao"]) == (
            job["versao_modelo"],
            True,
            "primeira",
        )
        assert (body["alunos"], body["checkins"]) == (len(gym.members), gym.visit_count)
        assert body["cancelamentos"] == loaded.cancelled
        assert body["metricas"]["pr_auc"] > body["metricas"]["taxa_base"] > 0
        assert len(body["candidatos"]) == 3 and body["job_id"] == job["job_id"]
        assert [v["versao"] for v in api.get("/modelo/versoes").json()["versoes"]] == [
            job["versao_modelo"]
        ]
        assert_error(api.post("/modelo/rollback"), 409, "NO_PREVIOUS_VERSION")
        assert_error(
            api.post("/modelo/versoes/1999-01-01T00-00-00Z-hgb/promover"),
            404,
            "MODEL_VERSION_NOT_FOUND",
            "versao",
        )

    again = subprocess.run(
        [sys.executable, "-m", "frequenta_churn", "train", "--if-none"],
        env=trained_stack.launcher.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    assert f"{job['versao_modelo']} is serving: not training" in again.stdout
