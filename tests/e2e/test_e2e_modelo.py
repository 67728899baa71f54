"""Retraining requests over HTTP: accepted at once with a job to follow."""

import uuid

import httpx


def test_a_retraining_request_is_accepted_with_a_job(api: httpx.Client) -> None:
    response = api.post("/modelo/retreino", json={"promover_se_melhor": False})

    assert response.status_code == 202, response.text
    job = response.json()
    assert job["estado"] == "na_fila"
    assert job["promovido"] is False
    assert response.headers["location"] == f"/modelo/retreino/{job['job_id']}"

    followed = api.get(response.headers["location"])
    assert followed.status_code == 200
    seen = followed.json()
    assert (seen["job_id"], seen["solicitado_em"]) == (job["job_id"], job["solicitado_em"])
    # The stack's retrain worker may have taken it already; this gym is too young to train on.
    assert seen["estado"] in {"na_fila", "executando", "falhou"}


def test_a_body_is_optional(api: httpx.Client) -> None:
    response = api.post("/modelo/retreino")
    assert response.status_code == 202, response.text


def test_an_unknown_job_is_404(api: httpx.Client) -> None:
    response = api.get(f"/modelo/retreino/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["erro"]["codigo"] == "JOB_NOT_FOUND"


def test_a_malformed_job_id_is_422(api: httpx.Client) -> None:
    response = api.get("/modelo/retreino/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["erro"]["codigo"] == "VALIDATION_ERROR"
    assert response.json()["erro"]["detalhes"][0]["campo"] == "job_id"


def test_a_wrong_option_type_is_422(api: httpx.Client) -> None:
    response = api.post("/modelo/retreino", json={"promover_se_melhor": "sim"})
    assert response.status_code == 422
    assert response.json()["erro"]["detalhes"][0]["campo"] == "promover_se_melhor"
