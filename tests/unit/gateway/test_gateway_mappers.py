"""proto <-> REST JSON, both ways, without any app."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.churn.v1 import churn_pb2
from frequenta_gateway import mappers, vocabulary
from frequenta_gateway.schemas.members import (
    Cancellation,
    CancellationReason,
    MemberRegistration,
    StatusFilter,
)
from frequenta_gateway.schemas.plans import PlanCreation
from frequenta_gateway.schemas.visits import CheckIn, CheckOut, Source

BRT = timezone(timedelta(hours=-3))


def ts(text: str) -> Timestamp:
    stamp = Timestamp()
    stamp.FromJsonString(text)
    return stamp


PLAN = pb.Plan(
    id=1, code="mensal", name="Plano Mensal", duration_months=1, price_cents=11990, active=True
)


def test_plan_price_is_in_reais() -> None:
    assert mappers.plan_out(PLAN).model_dump(mode="json") == {
        "id": 1,
        "codigo": "mensal",
        "nome": "Plano Mensal",
        "duracao_meses": 1,
        "preco": 119.9,
        "ativo": True,
    }


@pytest.mark.parametrize(("preco", "cents"), [(119.9, 11990), (0, 0), (299.99, 29999), (10, 1000)])
def test_plan_creation_converts_reais_to_cents(preco: float, cents: int) -> None:
    body = PlanCreation(codigo="x1", nome="Xis", duracao_meses=3, preco=preco)
    assert mappers.create_plan_request(body).price_cents == cents


def test_active_member_to_json() -> None:
    member = pb.Member(
        id=42,
        name="Ana",
        email="Ana@Example.com",
        plan=PLAN,
        enrolled_at=ts("2025-01-06T12:30:00Z"),
        active=True,
        next_renewal_on="2025-02-06",
    )
    assert mappers.member_out(member).model_dump(mode="json") == {
        "id": 42,
        "nome": "Ana",
        "email": "Ana@Example.com",
        "telefone": None,
        "data_nascimento": None,
        "plano_id": 1,
        "plano": mappers.plan_out(PLAN).model_dump(mode="json"),
        "data_matricula": "2025-01-06T12:30:00Z",
        "ativo": True,
        "proxima_renovacao": "2025-02-06",
        "data_cancelamento": None,
        "motivo_cancelamento": None,
        "codigo_motivo": None,
        "observacao_cancelamento": None,
        "dados_removidos_em": None,
    }


def test_cancelled_member_to_json() -> None:
    member = pb.Member(
        id=42,
        name="Ana",
        email="a@example.com",
        phone="+55 11 91234-5678",
        birth_date="1994-07-21",
        plan=PLAN,
        enrolled_at=ts("2025-01-06T12:30:00Z"),
        active=False,
        cancelled_at=ts("2025-03-31T21:00:00Z"),
        cancellation_reason=pb.CANCELLATION_REASON_NO_TIME,
        cancellation_note="sem tempo",
    )
    data = mappers.member_out(member).model_dump(mode="json")
    assert data["telefone"] == "+55 11 91234-5678"
    assert data["data_nascimento"] == "1994-07-21"
    assert data["ativo"] is False
    assert data["data_cancelamento"] == "2025-03-31T21:00:00Z"
    assert data["motivo_cancelamento"] == "falta_de_tempo"
    assert data["observacao_cancelamento"] == "sem tempo"
    assert data["proxima_renovacao"] is None


def test_registration_to_proto_converts_the_instant_to_utc() -> None:
    body = MemberRegistration(
        nome="Ana",
        email="Ana@Example.com",
        plano_id=1,
        data_nascimento="1994-07-21",
        data_matricula="2025-01-06T09:30:00-03:00",
    )
    request = mappers.register_request(body)
    assert request.name == "Ana"
    assert request.email.lower() == "ana@example.com"
    assert request.plan_id == 1
    assert request.birth_date == "1994-07-21"
    assert request.phone == ""
    assert request.enrolled_at.ToJsonString() == "2025-01-06T12:30:00Z"


def test_registration_without_enrollment_leaves_it_unset() -> None:
    body = MemberRegistration(nome="Ana", email="ana@example.com", plano_id=1)
    assert not mappers.register_request(body).HasField("enrolled_at")


@pytest.mark.parametrize("reason", list(CancellationReason))
def test_every_cancellation_reason_round_trips(reason: CancellationReason) -> None:
    request = mappers.cancel_request(7, Cancellation(motivo=reason))
    assert request.member_id == 7
    assert request.reason != pb.CANCELLATION_REASON_UNSPECIFIED
    assert vocabulary.REASON_FROM_PROTO[request.reason] is reason
    assert not request.HasField("cancelled_at")


def test_reason_codes_are_those_of_the_rules() -> None:
    table = vocabulary.REASON_TO_PROTO
    assert {r.value: pb.CancellationReason.Name(v) for r, v in table.items()} == {
        "preco": "CANCELLATION_REASON_PRICE",
        "mudanca": "CANCELLATION_REASON_RELOCATION",
        "falta_de_tempo": "CANCELLATION_REASON_NO_TIME",
        "saude": "CANCELLATION_REASON_HEALTH",
        "insatisfacao": "CANCELLATION_REASON_DISSATISFACTION",
        "concorrencia": "CANCELLATION_REASON_COMPETITOR",
        "desmotivacao": "CANCELLATION_REASON_MOTIVATION",
        "outro": "CANCELLATION_REASON_OTHER",
        "nao_informado": "CANCELLATION_REASON_NOT_GIVEN",
    }


def test_every_proto_enum_value_has_a_rest_name() -> None:
    assert len(vocabulary.REASON_TO_PROTO) == len(pb.CancellationReason.values()) - 1
    assert len(vocabulary.SOURCE_TO_PROTO) == len(pb.CheckInSource.values()) - 1
    assert len(vocabulary.BAND_FROM_PROTO) == len(churn_pb2.RiskBand.values()) - 1
    assert len(vocabulary.DIRECTION_FROM_PROTO) == len(churn_pb2.FactorDirection.values()) - 1


@pytest.mark.parametrize(
    ("status", "proto"),
    [
        (StatusFilter.ACTIVE, pb.MEMBER_STATUS_FILTER_ACTIVE),
        (StatusFilter.CANCELLED, pb.MEMBER_STATUS_FILTER_CANCELLED),
        (StatusFilter.ALL, pb.MEMBER_STATUS_FILTER_ALL),
    ],
)
def test_list_members_request(status: StatusFilter, proto: int) -> None:
    request = mappers.list_members_request(
        plan_id=None, status=status, query="ana", page=2, size=20
    )
    assert (request.plan_id, request.status, request.query, request.page, request.page_size) == (
        0,
        proto,
        "ana",
        2,
        20,
    )


def test_checkin_to_proto() -> None:
    body = CheckIn(
        aluno_id=42,
        data_entrada="2025-03-10T07:15:00-03:00",
        data_saida="2025-03-10T08:32:00-03:00",
        origem="catraca",
        dispositivo_id="catraca-01",
    )
    request = mappers.checkin_request(body, "k-1")
    assert request.member_id == 42
    assert request.entered_at.ToJsonString() == "2025-03-10T10:15:00Z"
    assert request.exited_at.ToJsonString() == "2025-03-10T11:32:00Z"
    assert request.source == pb.CHECK_IN_SOURCE_TURNSTILE
    assert request.device_id == "catraca-01"
    assert request.idempotency_key == "k-1"


def test_minimal_checkin_leaves_everything_to_the_service() -> None:
    request = mappers.checkin_request(CheckIn(aluno_id=42), None)
    assert not request.HasField("entered_at")
    assert not request.HasField("exited_at")
    assert request.source == pb.CHECK_IN_SOURCE_UNSPECIFIED
    assert request.idempotency_key == ""


def test_checkout_to_proto() -> None:
    request = mappers.checkout_request(CheckOut(aluno_id=3, data_saida="2025-03-10T08:00:00Z"))
    assert request.member_id == 3
    assert request.exited_at.ToJsonString() == "2025-03-10T08:00:00Z"


def test_finished_and_open_visits_to_json() -> None:
    finished = pb.Visit(
        id=9,
        member_id=42,
        entered_at=ts("2025-03-10T10:15:00Z"),
        exited_at=ts("2025-03-10T11:32:00Z"),
        duration_minutes=77,
        source=pb.CHECK_IN_SOURCE_TURNSTILE,
        device_id="catraca-01",
    )
    assert mappers.visit_out(finished).model_dump(mode="json") == {
        "id": 9,
        "aluno_id": 42,
        "data_entrada": "2025-03-10T10:15:00Z",
        "data_saida": "2025-03-10T11:32:00Z",
        "duracao_minutos": 77,
        "origem": "catraca",
        "dispositivo_id": "catraca-01",
    }
    open_visit = pb.Visit(
        id=10,
        member_id=42,
        entered_at=ts("2025-03-11T10:00:00Z"),
        source=pb.CHECK_IN_SOURCE_FRONT_DESK,
    )
    data = mappers.visit_out(open_visit).model_dump(mode="json")
    assert (data["data_saida"], data["duracao_minutos"], data["origem"]) == (None, None, "recepcao")
    assert data["dispositivo_id"] is None


def test_a_zero_minute_visit_keeps_its_duration() -> None:
    visit = pb.Visit(
        id=1,
        member_id=1,
        entered_at=ts("2025-03-10T10:00:00Z"),
        exited_at=ts("2025-03-10T10:00:30Z"),
        duration_minutes=0,
    )
    assert mappers.visit_out(visit).duracao_minutos == 0


def test_attendance_to_json() -> None:
    summary = pb.AttendanceSummary(
        total_visits=37,
        visits_per_week_last_4_weeks=2.5,
        days_since_last_visit=0,
        average_visit_minutes=71.4,
        last_visit_at=ts("2025-03-10T10:15:00Z"),
        weekly=[
            pb.WeeklyCount(week_start="2025-03-03", visits=2),
            pb.WeeklyCount(week_start="2025-03-10", visits=1),
        ],
        as_of=ts("2025-03-12T15:00:00Z"),
    )
    reply = pb.GetAttendanceResponse(
        member_id=42,
        summary=summary,
        total_in_range=3,
        from_date="2025-03-03",
        to_date="2025-03-12",
        visits=[
            pb.Visit(
                id=9,
                member_id=42,
                entered_at=ts("2025-03-10T10:15:00Z"),
                source=pb.CHECK_IN_SOURCE_APP,
            )
        ],
    )
    data = mappers.attendance_out(reply, page=1, size=1).model_dump(mode="json")
    assert data == {
        "aluno_id": 42,
        "total_checkins": 37,
        "media_checkins_semana": 2.5,
        "dias_desde_ultimo_checkin": 0,
        "media_duracao_minutos": 71.4,
        "ultimo_checkin": "2025-03-10T10:15:00Z",
        "serie_semanal": [
            {"semana_inicio": "2025-03-03", "checkins": 2},
            {"semana_inicio": "2025-03-10", "checkins": 1},
        ],
        "checkins": [
            {
                "id": 9,
                "data_entrada": "2025-03-10T10:15:00Z",
                "data_saida": None,
                "duracao_minutos": None,
                "origem": "app",
                "dispositivo_id": None,
            }
        ],
        "periodo": {"data_inicio": "2025-03-03", "data_fim": "2025-03-12"},
        "paginacao": {"pagina": 1, "tamanho": 1, "total": 3},
        "calculado_em": "2025-03-12T15:00:00Z",
    }


def test_attendance_of_a_member_who_never_came() -> None:
    reply = pb.GetAttendanceResponse(
        member_id=5, summary=pb.AttendanceSummary(), from_date="2025-01-01", to_date="2025-03-25"
    )
    data = mappers.attendance_out(reply, page=1, size=50)
    assert data.total_checkins == 0
    assert data.dias_desde_ultimo_checkin is None
    assert data.media_duracao_minutos is None
    assert data.ultimo_checkin is None
    assert data.checkins == []


def test_attendance_request_dates() -> None:
    request = mappers.attendance_request(4, start=date(2025, 1, 1), end=None, page=3, size=10)
    assert (request.member_id, request.from_date, request.to_date) == (4, "2025-01-01", "")
    assert (request.page, request.page_size) == (3, 10)


def test_churn_risk_to_json() -> None:
    risk = churn_pb2.ChurnRisk(
        member_id=42,
        probability=0.73,
        band=churn_pb2.RISK_BAND_MEDIUM,
        factors=[
            churn_pb2.RiskFactor(
                factor="absence",
                feature="days_since_last_visit",
                value=21,
                weight=0.84,
                direction=churn_pb2.FACTOR_DIRECTION_INCREASES_RISK,
                description="21 dias sem vir",
            ),
            churn_pb2.RiskFactor(
                factor="tenure",
                feature="tenure_days",
                value=400,
                weight=0.2,
                direction=churn_pb2.FACTOR_DIRECTION_DECREASES_RISK,
                description="aluno antigo",
            ),
            churn_pb2.RiskFactor(factor="a_new_factor", feature="x", value=1, weight=0.1),
        ],
        recommendations=["Ligar"],
        model_version="v1",
        horizon_days=30,
        computed_at=ts("2025-03-12T15:00:00Z"),
        plan_code="trimestral",
        limited_history=True,
        tenure_days=20,
    )
    data = mappers.churn_risk_out(risk).model_dump(mode="json")
    assert data["aluno_id"] == 42
    assert data["probabilidade_churn"] == 0.73
    assert data["risco_nivel"] == "médio"
    assert [f["direcao"] for f in data["fatores_risco"]] == ["aumenta", "reduz", None]
    assert data["fatores_risco"][0] == {
        "fator": "ausencia",
        "atributo": "days_since_last_visit",
        "valor": 21.0,
        "direcao": "aumenta",
        "peso": 0.84,
        "descricao": "21 dias sem vir",
    }
    assert [f["fator"] for f in data["fatores_risco"]][1:] == ["tempo_matricula", "a_new_factor"]
    assert (data["recomendacoes"], data["versao_modelo"], data["horizonte_dias"]) == (
        ["Ligar"],
        "v1",
        30,
    )
    assert data["calculado_em"] == "2025-03-12T15:00:00Z"
    assert (data["plano"], data["historico_limitado"], data["dias_matricula"]) == (
        "trimestral",
        True,
        20,
    )
    assert data["ultimo_checkin"] is None  # never came


def test_every_factor_of_the_model_has_a_rest_name() -> None:
    from frequenta_churn.ml.explain import FACTOR_GROUPS

    assert {g.code for g in FACTOR_GROUPS} == set(vocabulary.FACTOR_FROM_PROTO)


@pytest.mark.parametrize(
    ("proto", "rest"),
    [
        ("plan_id", "plano_id"),
        ("entered_at", "data_entrada"),
        ("exited_at", "data_saida"),
        ("member_id", "aluno_id"),
        ("email", "email"),
        ("page_size", "tamanho"),
        ("from_date", "data_inicio"),
        ("code", "codigo"),
        ("idempotency_key", "chave_idempotencia"),
        ("visit.entered_at", "visit.data_entrada"),
    ],
)
def test_rest_field_names(proto: str, rest: str) -> None:
    assert vocabulary.rest_field(proto) == rest


def test_timestamps_are_always_utc() -> None:
    local = datetime(2025, 3, 10, 7, 15, tzinfo=BRT)
    assert mappers.timestamp(local).ToDatetime(tzinfo=UTC) == local
    assert mappers.timestamp(None) is None


def test_sources_round_trip() -> None:
    for source in Source:
        assert vocabulary.SOURCE_FROM_PROTO[vocabulary.SOURCE_TO_PROTO[source]] is source
