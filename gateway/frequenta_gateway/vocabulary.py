"""The REST vocabulary of proto names: field names and enum values, both ways.

Portuguese lives at the edge: the proto says `entered_at` and `CHECK_IN_SOURCE_TURNSTILE`, clients
say `data_entrada` and `catraca`.
"""

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.churn.v1 import churn_pb2
from frequenta_gateway.schemas import batches, churn, members, model, visits

# gRPC ErrorInfo names the offending field by its proto name; clients know the REST name.
REST_FIELD_BY_PROTO_FIELD: dict[str, str] = {
    "name": "nome",
    "phone": "telefone",
    "birth_date": "data_nascimento",
    "plan_id": "plano_id",
    "enrolled_at": "data_matricula",
    "member_id": "aluno_id",
    "password": "senha",
    "role": "papel",
    "user_id": "usuario_id",
    "cancelled_at": "data_cancelamento",
    "reason": "motivo",
    "note": "observacao",
    "include_inactive": "incluir_inativos",
    "code": "codigo",
    "duration_months": "duracao_meses",
    "price_cents": "preco",
    "entered_at": "data_entrada",
    "exited_at": "data_saida",
    "source": "origem",
    "device_id": "dispositivo_id",
    "idempotency_key": "chave_idempotencia",
    "from_date": "data_inicio",
    "to_date": "data_fim",
    "page": "pagina",
    "page_size": "tamanho",
    "query": "q",
    "rows": "checkins",
    "date": "data",
    "version": "versao",
    "force": "forcar",
    "min_band": "nivel_minimo",
    "plan_code": "plano",
    "max_tenure_days": "max_dias_matricula",
    "kind": "tipo",
    "days_without_first_visit": "dias_sem_visita_inicial",
    "min_visits_per_month": "visitas_minimas_mes",
    "early_period_days": "dias_periodo_inicial",
    "inactivity_stages_days": "estagios_inatividade_dias",
    "months": "meses",
    "weeks": "semanas",
    "until_date": "ate",
}

REASON_TO_PROTO: dict[members.CancellationReason, int] = {
    reason: pb.CancellationReason.Value(f"CANCELLATION_REASON_{reason.name}")
    for reason in members.CancellationReason
}
REASON_FROM_PROTO = {value: reason for reason, value in REASON_TO_PROTO.items()}

SOURCE_TO_PROTO: dict[visits.Source, int] = {
    source: pb.CheckInSource.Value(f"CHECK_IN_SOURCE_{source.name}") for source in visits.Source
}
SOURCE_FROM_PROTO = {value: source for source, value in SOURCE_TO_PROTO.items()}

STATUS_TO_PROTO: dict[members.StatusFilter, int] = {
    status: pb.MemberStatusFilter.Value(f"MEMBER_STATUS_FILTER_{status.name}")
    for status in members.StatusFilter
}

BAND_FROM_PROTO: dict[int, churn.RiskBand] = {
    churn_pb2.RISK_BAND_LOW: "baixo",
    churn_pb2.RISK_BAND_MEDIUM: "médio",
    churn_pb2.RISK_BAND_HIGH: "alto",
}
DIRECTION_FROM_PROTO: dict[int, churn.Direction] = {
    churn_pb2.FACTOR_DIRECTION_INCREASES_RISK: "aumenta",
    churn_pb2.FACTOR_DIRECTION_DECREASES_RISK: "reduz",
}
BAND_TO_PROTO: dict[churn.BandFilter, int] = {
    churn.BandFilter.BAIXO: churn_pb2.RISK_BAND_LOW,
    churn.BandFilter.MEDIO: churn_pb2.RISK_BAND_MEDIUM,
    churn.BandFilter.MEDIO_SEM_ACENTO: churn_pb2.RISK_BAND_MEDIUM,
    churn.BandFilter.ALTO: churn_pb2.RISK_BAND_HIGH,
}
# Churn's factor codes (RiskFactor.factor); a code this gateway does not know passes unchanged.
FACTOR_FROM_PROTO: dict[str, str] = {
    "absence": "ausencia",
    "frequency": "frequencia",
    "regularity": "regularidade",
    "visit_duration": "duracao_visita",
    "tenure": "tempo_matricula",
    "plan_renewal": "plano_renovacao",
}


def rest_field(proto_field: str) -> str:
    """REST name of a proto field name ("plan_id" -> "plano_id"; unknown names unchanged)."""
    return ".".join(REST_FIELD_BY_PROTO_FIELD.get(part, part) for part in proto_field.split("."))


PROMOTION_REASON_FROM_PROTO: dict[int, model.PromotionReason] = {
    churn_pb2.PROMOTION_REASON_FIRST: "primeira",
    churn_pb2.PROMOTION_REASON_BETTER: "melhor",
    churn_pb2.PROMOTION_REASON_FORCED: "forcada",
    churn_pb2.PROMOTION_REASON_ROLLBACK: "rollback",
}

RETRAINING_STATE_FROM_PROTO = {
    churn_pb2.RETRAINING_STATE_QUEUED: "na_fila",
    churn_pb2.RETRAINING_STATE_RUNNING: "executando",
    churn_pb2.RETRAINING_STATE_SUCCEEDED: "concluido",
    churn_pb2.RETRAINING_STATE_FAILED: "falhou",
}

IMPORT_STATE_FROM_PROTO: dict[int, batches.JobState] = {
    pb.JOB_STATE_QUEUED: "na_fila",
    pb.JOB_STATE_RUNNING: "executando",
    pb.JOB_STATE_SUCCEEDED: "concluido",
    pb.JOB_STATE_FAILED: "falhou",
}
