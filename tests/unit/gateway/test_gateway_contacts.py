"""Retention routes over fake stubs: the at-risk list's retention columns and capacity, the
new filters passed on; contacts recorded with the caller's login as author (201), listed, 404
for a member attendance does not know, 409 CONTROL_GROUP, bad bodies 422 before any call; the
risk history; the effect report; the model's calibration curve (null when absent)."""

import pytest
from gateway_fakes import rpc_error
from gateway_protos import churn_risk, member, ts

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.churn.v1 import churn_pb2
from frequenta_kit.errors import Conflict, NotFound

CONTACT = churn_pb2.Contact(
    id=17,
    member_id=42,
    channel=churn_pb2.CONTACT_CHANNEL_WHATSAPP,
    outcome=churn_pb2.CONTACT_OUTCOME_CALLBACK_SCHEDULED,
    note="à noite",
    next_step_on="2025-03-14",
    author="test-admin",
    recorded_at=ts("2025-03-12T15:04:00Z"),
)


async def test_the_list_carries_each_members_retention_state_and_the_capacity(
    client, churn, attendance
):
    attendance.answer("ListMembers", pb.ListMembersResponse())
    churn.answer(
        "ListAtRiskMembers",
        churn_pb2.ListAtRiskMembersResponse(
            members=[
                churn_risk(7, 0.8, recent_visits_per_week=0.5, usual_visits_per_week=2.75),
                churn_risk(3, 0.7),
            ],
            retention=[
                churn_pb2.MemberRetention(
                    member_id=7,
                    group=churn_pb2.RETENTION_GROUP_CONTACT,
                    contact_status=churn_pb2.CONTACT_STATUS_CALLBACK_SCHEDULED,
                    last_contact_at=ts("2025-03-10T14:00:00Z"),
                ),
                churn_pb2.MemberRetention(
                    member_id=3,
                    group=churn_pb2.RETENTION_GROUP_CONTROL,
                    contact_status=churn_pb2.CONTACT_STATUS_CONTROL,
                ),
            ],
            total=2,
            model_version="v1",
            computed_at=ts("2025-03-12T15:00:00Z"),
            daily_capacity=12,
            expected_cancellations=1.5,
            expected_cancellations_within_capacity=0.8,
            capacity_coverage=0.5333,
        ),
    )
    response = await client.get(
        "/alunos/risco",
        params={"min_dias_matricula": 30, "max_dias_matricula": 90, "capacidade": 12},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["capacidade_diaria"], body["cancelamentos_esperados"]) == (12, 1.5)
    assert body["cancelamentos_esperados_na_capacidade"] == 0.8
    assert body["cobertura_capacidade"] == 0.5333
    first, second = body["itens"]
    assert (first["status_contato"], first["grupo_retencao"]) == ("retorno_agendado", "contato")
    assert first["ultimo_contato"] == "2025-03-10T14:00:00Z"
    assert (first["visitas_semana_recentes"], first["visitas_semana_habituais"]) == (0.5, 2.75)
    assert (second["status_contato"], second["grupo_retencao"]) == ("controle", "controle")
    assert second["ultimo_contato"] is None and second["visitas_semana_habituais"] is None
    (request,) = churn.requests("ListAtRiskMembers")
    assert (request.min_tenure_days, request.max_tenure_days, request.daily_capacity) == (
        30,
        90,
        12,
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [({"min_dias_matricula": 0}, "min_dias_matricula"), ({"capacidade": 0}, "capacidade")],
)
async def test_bad_capacity_or_tenure_floor_is_422(client, churn, params, field):
    response = await client.get("/alunos/risco", params=params)
    assert response.status_code == 422
    assert [d["campo"] for d in response.json()["erro"]["detalhes"]] == [field]
    assert churn.calls == []


async def test_a_contact_is_recorded_with_the_callers_login(client, churn, attendance):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(42)))
    churn.answer("RecordContact", churn_pb2.RecordContactResponse(contact=CONTACT))
    response = await client.post(
        "/aluno/42/contatos",
        json={
            "canal": "whatsapp",
            "resultado": "retorno_agendado",
            "nota": "à noite",
            "proximo_passo_em": "2025-03-14",
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/aluno/42/contatos"
    body = response.json()
    assert (body["id"], body["autor"], body["canal"], body["resultado"]) == (
        17,
        "test-admin",
        "whatsapp",
        "retorno_agendado",
    )
    assert body["proximo_passo"] is None and body["proximo_passo_em"] == "2025-03-14"
    (request,) = churn.requests("RecordContact")
    assert (request.member_id, request.author, request.next_step_on) == (
        42,
        "test-admin",
        "2025-03-14",
    )
    assert request.channel == churn_pb2.CONTACT_CHANNEL_WHATSAPP and not request.off_protocol


async def test_a_control_member_is_409_and_an_unknown_one_404(client, churn, attendance):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(42)))
    churn.answer(
        "RecordContact", rpc_error(Conflict("CONTROL_GROUP", "aluno no grupo de controle"))
    )
    body = {"canal": "telefone", "resultado": "conversou"}
    response = await client.post("/aluno/42/contatos", json=body)
    assert response.status_code == 409
    assert response.json()["erro"]["codigo"] == "CONTROL_GROUP"

    attendance.answer("GetMember", rpc_error(NotFound("MEMBER_NOT_FOUND", "no member with id 9")))
    churn.calls.clear()
    assert (await client.post("/aluno/9/contatos", json=body)).status_code == 404
    assert (await client.get("/aluno/9/contatos")).status_code == 404
    assert churn.calls == []


@pytest.mark.parametrize(
    "body",
    [
        {"canal": "pombo", "resultado": "conversou"},
        {"canal": "sms"},
        {"canal": "sms", "resultado": "recusou", "autor": "outra pessoa"},
        {"canal": "sms", "resultado": "recusou", "nota": "x" * 2001},
        {"canal": "sms", "resultado": "recusou", "proximo_passo_em": "amanhã"},
        {"canal": "sms", "resultado": "recusou", "proximo_passo": "a\x00b"},
        {"canal": "sms", "resultado": "recusou", "fora_do_protocolo": 0},
    ],
)
async def test_bad_contacts_are_422_before_any_call(client, churn, attendance, body):
    response = await client.post("/aluno/42/contatos", json=body)
    assert response.status_code == 422, response.text
    assert churn.calls == [] and attendance.calls == []


async def test_the_contact_log_and_the_risk_history(client, churn, attendance):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(42)))
    churn.answer("ListContacts", churn_pb2.ListContactsResponse(member_id=42, contacts=[CONTACT]))
    log = (await client.get("/aluno/42/contatos")).json()
    assert log["aluno_id"] == 42 and [c["id"] for c in log["itens"]] == [17]
    churn.answer(
        "GetRiskHistory",
        churn_pb2.GetRiskHistoryResponse(
            member_id=42,
            days=[
                churn_pb2.DailyRisk(
                    day="2025-03-11",
                    probability=0.2,
                    band=churn_pb2.RISK_BAND_MEDIUM,
                    model_version="v1",
                ),
                churn_pb2.DailyRisk(
                    day="2025-03-12",
                    probability=0.4,
                    band=churn_pb2.RISK_BAND_HIGH,
                    model_version="v1",
                ),
            ],
        ),
    )
    history = (await client.get("/aluno/42/risco-historico", params={"dias": 30})).json()
    assert [(d["dia"], d["risco_nivel"]) for d in history["itens"]] == [
        ("2025-03-11", "médio"),
        ("2025-03-12", "alto"),
    ]
    assert churn.requests("GetRiskHistory")[0].days == 30
    assert (await client.get("/aluno/42/risco-historico", params={"dias": 0})).status_code == 422


async def test_the_effect_report(client, churn):
    churn.answer(
        "GetRetentionEffect",
        churn_pb2.GetRetentionEffectResponse(
            contact=churn_pb2.GroupOutcome(
                members=60,
                cancellations=6,
                cancellation_rate=0.1,
                ci95_lower=0.0466,
                ci95_upper=0.2015,
                in_follow_up=4,
            ),
            control=churn_pb2.GroupOutcome(
                members=40,
                cancellations=12,
                cancellation_rate=0.3,
                ci95_lower=0.1806,
                ci95_upper=0.4544,
            ),
            difference=-0.2,
            difference_ci95_lower=-0.3638,
            difference_ci95_upper=-0.0480,
            contacted=51,
            follow_up_days=30,
            conclusion="Os contatos reduziram os cancelamentos: ...",
            control_share=0.1,
        ),
    )
    body = (await client.get("/retencao/efeito")).json()
    assert (body["contato"]["membros"], body["contato"]["em_acompanhamento"]) == (60, 4)
    assert body["controle"]["taxa_cancelamento"] == 0.3
    assert (body["diferenca"], body["ic95_inferior"], body["ic95_superior"]) == (
        -0.2,
        -0.3638,
        -0.048,
    )
    assert (body["contatados"], body["dias_acompanhamento"]) == (51, 30)
    assert body["conclusao"].startswith("Os contatos")
