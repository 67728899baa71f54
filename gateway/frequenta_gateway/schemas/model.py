"""The churn model's lifecycle seen from REST: retraining requests and their jobs, the serving
version and its metrics, the registered versions, promotion and rollback."""

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.common import RequestModel, ResponseModel

RetrainingState = Literal["na_fila", "executando", "concluido", "falhou"]

JOB_EXAMPLE = {
    "job_id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
    "estado": "na_fila",
    "solicitado_em": "2026-11-25T09:00:00Z",
    "iniciado_em": None,
    "concluido_em": None,
    "versao_modelo": None,
    "promovido": False,
    "erro": None,
}


class RetrainingRequest(RequestModel):
    """Options of a retraining run."""

    promover_se_melhor: bool = Field(
        default=True,
        strict=True,
        description="Serve the new version at once if it beats the current one on the same "
        "hold-out.",
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"promover_se_melhor": True}]})


class RetrainingJob(ResponseModel):
    """A retraining job and its outcome."""

    job_id: str = Field(description="Job id (UUID).")
    estado: RetrainingState = Field(description="Where the job is.")
    solicitado_em: datetime = Field(description="When it was requested.")
    iniciado_em: datetime | None = Field(description="When training started.")
    concluido_em: datetime | None = Field(description="When it finished.")
    versao_modelo: str | None = Field(description="Version registered by the job.")
    promovido: bool = Field(description="Whether that version now serves.")
    erro: str | None = Field(description="Why it failed.")

    model_config = ConfigDict(json_schema_extra={"examples": [JOB_EXAMPLE]})


PromotionReason = Literal["primeira", "melhor", "forcada", "rollback"]

METRICS_EXAMPLE = {
    "roc_auc": 0.806,
    "pr_auc": 0.299,
    "brier": 0.0537,
    "erro_calibracao": 0.0094,
    "precisao_top_10": 0.267,
    "lift_top_10": 4.05,
    "precisao_top_5": 0.356,
    "lift_top_5": 5.4,
    "taxa_base": 0.0659,
    "curva_calibracao": [
        {"probabilidade_prevista": 0.031, "taxa_observada": 0.029, "membros": 9120},
        {"probabilidade_prevista": 0.142, "taxa_observada": 0.151, "membros": 1204},
        {"probabilidade_prevista": 0.263, "taxa_observada": 0.248, "membros": 310},
    ],
}

VERSION_EXAMPLE = {
    "versao": "2026-06-01T09-00-00Z-hgb",
    "algoritmo": "gradient_boosting",
    "em_producao": True,
    "motivo_promocao": "primeira",
    "promovida_em": "2026-06-01T09:00:02Z",
    "criada_em": "2026-06-01T09:00:02Z",
    "horizonte_dias": 30,
    "metricas": METRICS_EXAMPLE,
    "candidatos": [
        {
            "algoritmo": "recency_rule",
            "metricas": {
                **METRICS_EXAMPLE,
                "roc_auc": 0.664,
                "pr_auc": 0.185,
                "brier": 0.0591,
                "lift_top_10": 3.19,
            },
        },
        {"algoritmo": "gradient_boosting", "metricas": METRICS_EXAMPLE},
    ],
    "atributos": ["visits_per_week_4w", "days_since_last_visit", "plan_mensal"],
    "treino_inicio": "2025-05-03T03:00:00Z",
    "treino_fim": "2026-01-17T03:00:00Z",
    "holdout_inicio": "2026-02-21T03:00:00Z",
    "holdout_fim": "2026-05-02T03:00:00Z",
    "dados_ate": "2026-06-01T09:00:00Z",
    "alunos": 3000,
    "checkins": 184765,
    "cancelamentos": 1131,
    "linhas_treino": 40737,
    "linhas_holdout": 19740,
    "linhas_positivas": 3705,
    "faixas_risco": {"medio": 0.089, "alto": 0.177},
    "paridade_onnx_max": 4.3e-07,
    "job_id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
}


class CalibrationPoint(ResponseModel):
    """One bin of the reliability curve."""

    probabilidade_prevista: float = Field(
        description="Mean predicted probability of the bin's hold-out rows.", examples=[0.15]
    )
    taxa_observada: float = Field(description="Share of those rows that churned.", examples=[0.13])
    membros: int = Field(description="Hold-out rows (member snapshots) in the bin.", examples=[812])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"probabilidade_prevista": 0.15, "taxa_observada": 0.13, "membros": 812}]
        }
    )


class ModelMetrics(ResponseModel):
    """Metrics on the temporal hold-out (snapshots after the training window, never training
    rows). Top 10 % / 5 %: the hold-out rows with the highest predicted probability."""

    roc_auc: float = Field(description="Area under the ROC curve; 0.5 is random ranking.")
    pr_auc: float = Field(
        description="Average precision (area under the precision-recall curve); a random "
        "ranking scores `taxa_base`. The registry compares versions on it."
    )
    brier: float = Field(description="Mean squared error of the probability; lower is better.")
    erro_calibracao: float = Field(
        description="Expected calibration error (10 bins): mean gap between predicted "
        "probability and observed churn rate; lower is better."
    )
    precisao_top_10: float = Field(description="Share of the top 10 % that did churn.")
    lift_top_10: float = Field(description="`precisao_top_10` / `taxa_base`; 1 is random.")
    precisao_top_5: float = Field(description="Share of the top 5 % that did churn.")
    lift_top_5: float = Field(description="`precisao_top_5` / `taxa_base`; 1 is random.")
    taxa_base: float = Field(description="Share of the hold-out rows that churned.")
    curva_calibracao: list[CalibrationPoint] | None = Field(
        default=None,
        description="The reliability curve on the hold-out: 10 equal-width bins of predicted "
        "probability (empty bins left out), each with its mean predicted probability, the "
        "observed churn rate and its rows. A calibrated model lies on the diagonal. Null for "
        "a version registered without it.",
    )

    model_config = ConfigDict(json_schema_extra={"examples": [METRICS_EXAMPLE]})


class CandidateMetrics(ResponseModel):
    """One model compared on the version's hold-out."""

    algoritmo: str = Field(description="Estimator family.", examples=["logistic_regression"])
    metricas: ModelMetrics

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"algoritmo": "gradient_boosting", "metricas": METRICS_EXAMPLE}]
        }
    )


class RiskBandThresholds(ResponseModel):
    """Probabilities from which a member is in the "médio" and "alto" bands."""

    medio: float = Field(description="From this probability: médio.", examples=[0.089])
    alto: float = Field(description="From this probability: alto.", examples=[0.177])

    model_config = ConfigDict(json_schema_extra={"examples": [{"medio": 0.089, "alto": 0.177}]})


class ModelVersion(ResponseModel):
    """A registered model version: how it was trained and how it did on its hold-out."""

    versao: str = Field(description="Version label: registration time (UTC) and algorithm.")
    algoritmo: str = Field(description="Estimator family of the exported model.")
    em_producao: bool = Field(description="Whether this version serves the risk scores now.")
    motivo_promocao: PromotionReason | None = Field(
        description="For the serving version, why it serves: the first one trained, it beat "
        "the previous one on the same hold-out, promoted by force, or a rollback."
    )
    promovida_em: datetime | None = Field(description="For the serving version, since when.")
    criada_em: datetime = Field(description="When it was registered.")
    horizonte_dias: int = Field(description="Days ahead the probability is about.")
    metricas: ModelMetrics = Field(description="The exported model's hold-out metrics.")
    candidatos: list[CandidateMetrics] = Field(
        description="Every candidate compared on the same hold-out (the exported one included)."
    )
    atributos: list[str] = Field(description="Feature names, in the model's input order.")
    treino_inicio: datetime = Field(description="Earliest training snapshot.")
    treino_fim: datetime = Field(description="Latest training snapshot.")
    holdout_inicio: datetime = Field(description="Earliest hold-out snapshot.")
    holdout_fim: datetime = Field(description="Latest hold-out snapshot.")
    dados_ate: datetime = Field(description="End of the data exported for training.")
    alunos: int = Field(description="Members exported for training.")
    checkins: int = Field(description="Visits exported for training.")
    cancelamentos: int = Field(description="Members among them who had cancelled.")
    linhas_treino: int = Field(description="Member snapshots the model was fitted on.")
    linhas_holdout: int = Field(description="Member snapshots the metrics come from.")
    linhas_positivas: int = Field(description="Snapshots (both parts) labelled as churn.")
    faixas_risco: RiskBandThresholds
    paridade_onnx_max: float = Field(
        description="Largest difference between the served (ONNX) and the trained "
        "(scikit-learn) probability over the hold-out rows."
    )
    job_id: str | None = Field(description="Retraining job that produced it.")

    model_config = ConfigDict(json_schema_extra={"examples": [VERSION_EXAMPLE]})


class ModelVersions(ResponseModel):
    """Every registered version, newest first."""

    versoes: list[ModelVersion]

    model_config = ConfigDict(json_schema_extra={"examples": [{"versoes": [VERSION_EXAMPLE]}]})


class PromotionRequest(RequestModel):
    """Options of a promotion."""

    forcar: bool = Field(
        default=False,
        strict=True,
        description="Serve the version even if it does not beat the serving one on its "
        "hold-out (a deliberate choice, e.g. to return to any kept version).",
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"forcar": False}]})
