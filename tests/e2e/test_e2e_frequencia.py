"""GET /aluno/{id}/frequencia against the real processes."""

from datetime import date, timedelta

import pytest
from e2e_support import ago, assert_error, parse

pytestmark = pytest.mark.e2e


@pytest.fixture
def history(api, new_member):
    """A member with four visits: three finished in the last 28 days (60, 90 and 30 minutes)
    and an older one whose check-out was never recorded."""
    member = new_member(data_matricula=ago(days=60))
    visits = [
        {"data_entrada": ago(days=40)},
        {"data_entrada": ago(days=20, hours=2), "data_saida": ago(days=20, hours=1)},
        {"data_entrada": ago(days=10, hours=2), "data_saida": ago(days=10, minutes=30)},
        {"data_entrada": ago(days=3, hours=1), "data_saida": ago(days=3, minutes=30)},
    ]
    for visit in visits:
        response = api.post(
            "/aluno/checkin", json={"aluno_id": member["id"], **visit, "origem": "importacao"}
        )
        assert response.status_code == 201, response.text
    return member, visits


def test_summary_series_and_visits(api, history):
    member, visits = history
    response = api.get(f"/aluno/{member['id']}/frequencia")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["aluno_id"] == member["id"]
    assert data["total_checkins"] == 4
    assert data["media_checkins_semana"] == 0.75
    assert data["media_duracao_minutos"] == 60.0
    assert data["dias_desde_ultimo_checkin"] in (2, 3, 4)  # local days, whatever the hour
    assert parse(data["ultimo_checkin"]) == parse(visits[-1]["data_entrada"])
    assert [parse(v["data_entrada"]) for v in data["checkins"]] == [
        parse(v["data_entrada"]) for v in reversed(visits)
    ]
    assert [v["duracao_minutos"] for v in data["checkins"]] == [30, 90, 60, None]
    assert data["checkins"][0]["origem"] == "importacao"
    assert data["paginacao"] == {"pagina": 1, "tamanho": 50, "total": 4}
    weeks = data["serie_semanal"]
    assert sum(week["checkins"] for week in weeks) == 4
    assert all(date.fromisoformat(week["semana_inicio"]).weekday() == 0 for week in weeks)
    start, end = (date.fromisoformat(data["periodo"][k]) for k in ("data_inicio", "data_fim"))
    assert end - start >= timedelta(weeks=11)
    assert data["calculado_em"].endswith("Z") or "+" in data["calculado_em"]


def test_pages_and_date_range(api, history):
    member, _ = history
    response = api.get(f"/aluno/{member['id']}/frequencia", params={"pagina": 2, "tamanho": 3})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["paginacao"] == {"pagina": 2, "tamanho": 3, "total": 4}
    assert len(data["checkins"]) == 1
    assert data["total_checkins"] == 4

    last_week = (date.today() - timedelta(days=7)).isoformat()
    response = api.get(f"/aluno/{member['id']}/frequencia", params={"data_inicio": last_week})
    data = response.json()
    assert data["periodo"]["data_inicio"] == last_week
    assert data["paginacao"]["total"] == 1
    assert data["total_checkins"] == 4  # the summary is about all visits


def test_a_member_who_never_came(api, new_member):
    member = new_member()
    data = api.get(f"/aluno/{member['id']}/frequencia").json()
    assert (data["total_checkins"], data["media_checkins_semana"]) == (0, 0.0)
    assert (
        data["dias_desde_ultimo_checkin"],
        data["media_duracao_minutos"],
        data["ultimo_checkin"],
    ) == (None, None, None)
    assert data["checkins"] == []


def test_unknown_member_is_404(api):
    assert_error(api.get("/aluno/987654321/frequencia"), 404, "MEMBER_NOT_FOUND", "aluno_id")


def test_page_size_too_big_is_422(api, new_member):
    member = new_member()
    response = api.get(f"/aluno/{member['id']}/frequencia", params={"tamanho": 201})
    assert_error(response, 422, "VALIDATION_ERROR", "tamanho")


@pytest.mark.parametrize(
    ("params", "campo"),
    [
        ({"pagina": "x"}, "pagina"),
        ({"pagina": 0}, "pagina"),
        ({"data_inicio": "01/02/2025"}, "data_inicio"),
        ({"data_fim": "2025-13-01"}, "data_fim"),
    ],
)
def test_bad_queries_are_422(api, new_member, params, campo):
    member = new_member()
    response = api.get(f"/aluno/{member['id']}/frequencia", params=params)
    assert_error(response, 422, "VALIDATION_ERROR", campo)


def test_a_non_numeric_id_is_no_route(api):
    assert_error(api.get("/aluno/abc/frequencia"), 404, "NOT_FOUND")
