"""The model routes through the app, with a fake churn stub: the serving version and its
metrics, the version list, promotion (with and without force) and rollback, and their errors."""

from gateway_fakes import FakeStub, rpc_error
from gateway_protos import ts

from frequenta.churn.v1 import churn_pb2
from frequenta_kit.errors import Conflict, NotFound, Unavailable

VERSION = "2026-06-01T09-00-00Z-hgb"


def metrics(pr_auc: float) -> churn_pb2.ModelMetrics:
    return churn_pb2.ModelMetrics(
        roc_auc=0.8,
        pr_auc=pr_auc,
        brier=0.05,
        calibration_error=0.01,
        precision_top_decile=0.27,
        lift_top_decile=4.0,
        precision_top_5_percent=0.35,
        lift_top_5_percent=5.3,
        base_rate=0.066,
    )


def version(label: str = VERSION, *, serving: bool = True) -> churn_pb2.ModelVersion:
    encoded = churn_pb2.ModelVersion(
        version=label,
        algorithm="gradient_boosting",
        metrics=metrics(0.3),
        features=["visits_per_week_4w", "days_since_last_visit"],
        trained_from=ts("2025-05-03T03:00:00Z"),
        trained_until=ts("2026-01-17T03:00:00Z"),
        training_rows=40737,
        holdout_rows=19740,
        positive_rows=3705,
        horizon_days=30,
        created_at=ts("2026-06-01T09:00:02Z"),
        serving=serving,
        candidates=[
            churn_pb2.CandidateMetrics(algorithm="recency_rule", metrics=metrics(0.18)),
            churn_pb2.CandidateMetrics(algorithm="gradient_boosting", metrics=metrics(0.3)),
        ],
        holdout_from=ts("2026-02-21T03:00:00Z"),
        holdout_until=ts("2026-05-02T03:00:00Z"),
        data_until=ts("2026-06-01T09:00:00Z"),
        members=3000,
        visits=184765,
        cancellations=1131,
        band_thresholds=churn_pb2.RiskBandThresholds(medium=0.089, high=0.177),
        parity_max_diff=4.3e-7,
        job_id="1b4e28ba-2fa1-41d2-883f-0016d3cca427",
    )
    if serving:
        encoded.promoted_at.CopyFrom(ts("2026-06-01T09:00:02Z"))
        encoded.promotion_reason = churn_pb2.PROMOTION_REASON_BETTER
    return encoded


async def test_the_serving_model_in_portuguese(client, churn: FakeStub) -> None:
    churn.answer("GetModelInfo", churn_pb2.GetModelInfoResponse(model=version()))
    response = await client.get("/modelo")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["versao"], body["algoritmo"], body["em_producao"]) == (
        VERSION,
        "gradient_boosting",
        True,
    )
    assert (body["motivo_promocao"], body["promovida_em"]) == ("melhor", "2026-06-01T09:00:02Z")
    assert body["metricas"] == {
        "roc_auc": 0.8,
        "pr_auc": 0.3,
        "brier": 0.05,
        "erro_calibracao": 0.01,
        "precisao_top_10": 0.27,
        "lift_top_10": 4.0,
        "precisao_top_5": 0.35,
        "lift_top_5": 5.3,
        "taxa_base": 0.066,
        "curva_calibracao": None,  # a version registered without it
    }
    assert [c["algoritmo"] for c in body["candidatos"]] == ["recency_rule", "gradient_boosting"]
    assert body["candidatos"][0]["metricas"]["pr_auc"] == 0.18
    assert body["faixas_risco"] == {"medio": 0.089, "alto": 0.177}
    assert (body["alunos"], body["checkins"], body["cancelamentos"]) == (3000, 184765, 1131)
    assert (body["linhas_treino"], body["linhas_holdout"], body["linhas_positivas"]) == (
        40737,
        19740,
        3705,
    )
    assert (body["treino_inicio"], body["holdout_fim"]) == (
        "2025-05-03T03:00:00Z",
        "2026-05-02T03:00:00Z",
    )
    assert body["atributos"] == ["visits_per_week_4w", "days_since_last_visit"]


async def test_no_model_yet_is_503_with_retry_after(client, churn: FakeStub) -> None:
    churn.answer("GetModelInfo", rpc_error(Unavailable("NO_MODEL", "No churn model yet.")))
    response = await client.get("/modelo")
    assert response.status_code == 503
    assert response.json()["erro"]["codigo"] == "NO_MODEL"
    assert response.headers["retry-after"] == "30"


async def test_the_versions_newest_first(client, churn: FakeStub) -> None:
    older = version("2026-05-01T09-00-00Z-hgb", serving=False)
    churn.answer(
        "ListModelVersions", churn_pb2.ListModelVersionsResponse(versions=[version(), older])
    )
    response = await client.get("/modelo/versoes")
    assert response.status_code == 200
    listed = response.json()["versoes"]
    assert [(v["versao"], v["em_producao"], v["motivo_promocao"]) for v in listed] == [
        (VERSION, True, "melhor"),
        ("2026-05-01T09-00-00Z-hgb", False, None),
    ]
    assert listed[1]["promovida_em"] is None


async def test_no_versions_is_an_empty_list(client, churn: FakeStub) -> None:
    churn.answer("ListModelVersions", churn_pb2.ListModelVersionsResponse())
    response = await client.get("/modelo/versoes")
    assert (response.status_code, response.json()) == (200, {"versoes": []})


async def test_promotion_sends_the_version_and_force(client, churn: FakeStub) -> None:
    churn.answer("PromoteModel", churn_pb2.PromoteModelResponse(model=version()))
    plain = await client.post(f"/modelo/versoes/{VERSION}/promover")
    forced = await client.post(f"/modelo/versoes/{VERSION}/promover", json={"forcar": True})
    assert (plain.status_code, forced.status_code) == (200, 200)
    assert plain.json()["versao"] == VERSION
    assert [(r.version, r.force) for r in churn.requests("PromoteModel")] == [
        (VERSION, False),
        (VERSION, True),
    ]


async def test_promotion_errors(client, churn: FakeStub) -> None:
    churn.answer(
        "PromoteModel",
        rpc_error(Conflict("NOT_BETTER", "PR-AUC 0.2 vs 0.3", field="version")),
    )
    response = await client.post(f"/modelo/versoes/{VERSION}/promover", json={"forcar": False})
    assert response.status_code == 409
    assert response.json()["erro"]["codigo"] == "NOT_BETTER"
    assert response.json()["erro"]["detalhes"][0]["campo"] == "versao"

    churn.answer(
        "PromoteModel",
        rpc_error(NotFound("MODEL_VERSION_NOT_FOUND", "No such version.", field="version")),
    )
    response = await client.post("/modelo/versoes/nope/promover")
    assert (response.status_code, response.json()["erro"]["codigo"]) == (
        404,
        "MODEL_VERSION_NOT_FOUND",
    )


async def test_a_wrong_force_type_is_422_before_churn_is_asked(client, churn: FakeStub) -> None:
    response = await client.post(f"/modelo/versoes/{VERSION}/promover", json={"forcar": "sim"})
    assert response.status_code == 422
    assert response.json()["erro"]["detalhes"][0]["campo"] == "forcar"
    assert churn.calls == []


async def test_rollback(client, churn: FakeStub) -> None:
    back = version("2026-05-01T09-00-00Z-hgb")
    back.promotion_reason = churn_pb2.PROMOTION_REASON_ROLLBACK
    churn.answer("RollbackModel", churn_pb2.RollbackModelResponse(model=back))
    response = await client.post("/modelo/rollback")
    assert response.status_code == 200
    assert (response.json()["versao"], response.json()["motivo_promocao"]) == (
        "2026-05-01T09-00-00Z-hgb",
        "rollback",
    )

    churn.answer(
        "RollbackModel", rpc_error(Conflict("NO_PREVIOUS_VERSION", "Nothing to go back to."))
    )
    response = await client.post("/modelo/rollback")
    assert (response.status_code, response.json()["erro"]["codigo"]) == (
        409,
        "NO_PREVIOUS_VERSION",
    )


async def test_the_calibration_curve_in_portuguese(client, churn: FakeStub) -> None:
    served = version()
    served.metrics.calibration_curve.add(mean_predicted=0.03, observed_rate=0.028, rows=9120)
    served.metrics.calibration_curve.add(mean_predicted=0.14, observed_rate=0.151, rows=1204)
    churn.answer("GetModelInfo", churn_pb2.GetModelInfoResponse(model=served))
    body = (await client.get("/modelo")).json()
    assert body["metricas"]["curva_calibracao"] == [
        {"probabilidade_prevista": 0.03, "taxa_observada": 0.028, "membros": 9120},
        {"probabilidade_prevista": 0.14, "taxa_observada": 0.151, "membros": 1204},
    ]
