"""GET /aluno/{id}/risco-churn and GET /alunos/risco against the session's stack, which never
trains a model: the answers without one. (With a model, in a stack of its own:
test_e2e_risco_churn_modelo.py.)"""

import pytest
from e2e_support import assert_error

pytestmark = pytest.mark.e2e


def test_without_a_model_the_answer_is_503_no_model_with_retry_after(api, new_member):
    member = new_member()
    response = api.get(f"/aluno/{member['id']}/risco-churn")
    erro = assert_error(response, 503, "NO_MODEL")
    assert int(response.headers["retry-after"]) > 0
    assert "model" in erro["mensagem"].lower()


def test_without_a_model_the_at_risk_list_is_503_no_model(api):
    response = api.get("/alunos/risco", params={"nivel_minimo": "alto"})
    assert_error(response, 503, "NO_MODEL")
    assert int(response.headers["retry-after"]) > 0


def test_unknown_member_is_404(api):
    assert_error(api.get("/aluno/987654321/risco-churn"), 404, "MEMBER_NOT_FOUND", "aluno_id")


def test_an_out_of_range_id_is_422(api):
    assert_error(api.get("/aluno/0/risco-churn"), 422, "VALIDATION_ERROR", "id")


def test_a_cancelled_member_is_409_even_without_a_model(api, new_member):
    """Attendance, which owns memberships, answers first: no model is needed to say so."""
    member = new_member(data_matricula="2025-01-06T09:00:00-03:00")
    cancelled = api.post(
        f"/aluno/{member['id']}/cancelamento",
        json={"motivo": "preco", "data_cancelamento": "2025-03-01T10:00:00-03:00"},
    )
    assert cancelled.status_code == 200, cancelled.text
    erro = assert_error(api.get(f"/aluno/{member['id']}/risco-churn"), 409, "MEMBERSHIP_CANCELLED")
    assert "2025-03-01" in erro["mensagem"]


@pytest.mark.parametrize(
    ("params", "campo"),
    [({"nivel_minimo": "altissimo"}, "nivel_minimo"), ({"tamanho": 500}, "tamanho")],
)
def test_an_invalid_filter_is_422(api, params, campo):
    assert_error(api.get("/alunos/risco", params=params), 422, "VALIDATION_ERROR", campo)
