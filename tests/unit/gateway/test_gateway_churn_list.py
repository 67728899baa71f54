"""GET /alunos/risco: the at-risk list mapped from churn's ListAtRiskMembers, filters to the
request, each member's name from attendance (null when it cannot be read), 503 NO_MODEL."""

import grpc
import pytest
from gateway_fakes import Call, FakeStub, bare_rpc_error, rpc_error
from gateway_protos import churn_risk, member, ts

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.churn.v1 import churn_pb2
from frequenta_kit.errors import Unavailable


def page(*member_ids: int, total: int = 87) -> churn_pb2.ListAtRiskMembersResponse:
    return churn_pb2.ListAtRiskMembersResponse(
        members=[churn_risk(m, 0.9 - m / 100) for m in member_ids],
        total=total,
        model_version="v1",
        computed_at=ts("2025-03-12T15:00:00Z"),
    )


class Names(FakeStub):
    """Attendance answering ListMembers filtered by ids with a name per id (none for the ids in
    ``unknown``), or failing."""

    def __init__(self) -> None:
        super().__init__()
        self.unknown: set[int] = set()
        self.error: Exception | None = None

    def __getattr__(self, method: str):
        if method != "ListMembers":
            return super().__getattr__(method)

        async def call(request, *, timeout=None):  # noqa: ASYNC109
            self.calls.append(Call("ListMembers", request, timeout))
            if self.error is not None:
                raise self.error
            found = [
                member(m, name=f"Aluno {m}") for m in request.member_ids if m not in self.unknown
            ]
            return pb.ListMembersResponse(members=found, total=len(found))

        return call


@pytest.fixture
def attendance() -> Names:
    return Names()


async def test_the_list_maps_the_page_with_names_and_passes_the_filters(client, churn, attendance):
    churn.answer("ListAtRiskMembers", page(7, 3))
    response = await client.get(
        "/alunos/risco",
        params={
            "nivel_minimo": "alto",
            "plano": "mensal",
            "max_dias_matricula": 90,
            "pagina": 2,
            "tamanho": 2,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["pagina"], body["tamanho"]) == (87, 2, 2)
    assert (body["versao_modelo"], body["calculado_em"]) == ("v1", "2025-03-12T15:00:00Z")
    assert [(i["aluno_id"], i["nome"]) for i in body["itens"]] == [(7, "Aluno 7"), (3, "Aluno 3")]
    first = body["itens"][0]
    assert first["risco_nivel"] == "alto" and first["probabilidade_churn"] == pytest.approx(0.83)
    assert [f["fator"] for f in first["fatores_risco"]] == ["ausencia", "plano_renovacao"]
    assert (first["plano"], first["dias_matricula"]) == ("mensal", 65)
    (request,) = churn.requests("ListAtRiskMembers")
    assert (request.min_band, request.plan_code, request.max_tenure_days) == (
        churn_pb2.RISK_BAND_HIGH,
        "mensal",
        90,
    )
    assert (request.page, request.page_size) == (2, 2)
    (names,) = attendance.requests("ListMembers")  # one call for the page
    assert list(names.member_ids) == [7, 3] and names.page_size == 2
    assert names.status == pb.MEMBER_STATUS_FILTER_ALL


@pytest.mark.parametrize(
    ("value", "band"),
    [("médio", churn_pb2.RISK_BAND_MEDIUM), ("medio", churn_pb2.RISK_BAND_MEDIUM)],
)
async def test_medio_is_taken_with_or_without_the_accent(client, churn, value, band):
    churn.answer("ListAtRiskMembers", page())
    assert (await client.get("/alunos/risco", params={"nivel_minimo": value})).status_code == 200
    assert churn.requests("ListAtRiskMembers")[0].min_band == band


async def test_without_filters_every_band_any_plan_first_page_of_50(client, churn):
    churn.answer("ListAtRiskMembers", page())
    body = (await client.get("/alunos/risco")).json()
    assert body["itens"] == [] and (body["pagina"], body["tamanho"]) == (1, 50)
    (request,) = churn.requests("ListAtRiskMembers")
    assert (request.min_band, request.plan_code, request.max_tenure_days) == (0, "", 0)


async def test_a_name_attendance_does_not_have_is_null(client, churn, attendance):
    attendance.unknown.add(3)
    churn.answer("ListAtRiskMembers", page(7, 3))
    body = (await client.get("/alunos/risco")).json()
    assert [(i["aluno_id"], i["nome"]) for i in body["itens"]] == [(7, "Aluno 7"), (3, None)]


async def test_without_attendance_the_page_comes_without_names(client, churn, attendance):
    attendance.error = bare_rpc_error(grpc.StatusCode.UNAVAILABLE, "down")
    churn.answer("ListAtRiskMembers", page(7, 3))
    response = await client.get("/alunos/risco")
    assert response.status_code == 200
    assert [i["nome"] for i in response.json()["itens"]] == [None, None]


async def test_an_empty_page_asks_attendance_nothing(client, churn, attendance):
    churn.answer("ListAtRiskMembers", page(total=0))
    assert (await client.get("/alunos/risco")).json()["itens"] == []
    assert attendance.calls == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"nivel_minimo": "altissimo"}, "nivel_minimo"),
        ({"tamanho": 201}, "tamanho"),
        ({"pagina": 0}, "pagina"),
        ({"max_dias_matricula": 0}, "max_dias_matricula"),
        ({"plano": ""}, "plano"),
    ],
)
async def test_invalid_filters_are_422(client, churn, params, field):
    response = await client.get("/alunos/risco", params=params)
    assert response.status_code == 422
    assert [d["campo"] for d in response.json()["erro"]["detalhes"]] == [field]
    assert churn.calls == []


async def test_without_a_model_the_list_is_503_no_model(client, churn):
    churn.answer("ListAtRiskMembers", rpc_error(Unavailable("NO_MODEL", "No churn model yet.")))
    response = await client.get("/alunos/risco")
    assert response.status_code == 503 and response.json()["erro"]["codigo"] == "NO_MODEL"
    assert response.headers["retry-after"] == "30"
