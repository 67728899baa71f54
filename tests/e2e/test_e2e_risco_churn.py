"""GET /aluno/{id}/risco-churn against the real processes (no model trained in this run)."""

import pytest
from e2e_support import assert_error

pytestmark = pytest.mark.e2e


def test_without_a_model_the_answer_is_503_no_model_with_retry_after(api, new_member):
    member = new_member()
    response = api.get(f"/aluno/{member['id']}/risco-churn")
    erro = assert_error(response, 503, "NO_MODEL")
    assert int(response.headers["retry-after"]) > 0
    assert "model" in erro["mensagem"].lower()


def test_unknown_member_is_404_before_churn_is_asked(api):
    assert_error(api.get("/aluno/987654321/risco-churn"), 404, "MEMBER_NOT_FOUND", "aluno_id")


def test_an_out_of_range_id_is_422(api):
    assert_error(api.get("/aluno/0/risco-churn"), 422, "VALIDATION_ERROR", "id")
