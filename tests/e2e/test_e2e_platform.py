"""Probes, OpenAPI and the error body of unknown routes, against the real processes."""

import pytest
from e2e_support import assert_error

pytestmark = pytest.mark.e2e

REQUIRED = {
    "/aluno/registro": "post",
    "/aluno/checkin": "post",
    "/aluno/{id}/frequencia": "get",
    "/aluno/{id}/risco-churn": "get",
}


def test_healthz(api):
    response = api.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_reports_both_services_serving(api):
    response = api.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "pronto",
        "servicos": {"attendance": "SERVING", "churn": "SERVING"},
    }


def test_openapi_has_the_four_paths_verbatim_with_examples(api):
    spec = api.get("/openapi.json").json()
    assert spec["info"]["title"] and spec["info"]["description"]
    schemas = spec["components"]["schemas"]
    for path, method in REQUIRED.items():
        operation = spec["paths"][path][method]
        assert operation["tags"] and operation["description"]
        ok = next(code for code in operation["responses"] if code.startswith("2"))
        ref = operation["responses"][ok]["content"]["application/json"]["schema"]["$ref"]
        assert schemas[ref.rsplit("/", 1)[1]]["examples"], path
        for code in ("404", "422"):
            assert operation["responses"][code]["content"]["application/json"]["example"]
        if "requestBody" in operation:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert schemas[ref.rsplit("/", 1)[1]]["examples"], path


def test_docs_page(api):
    response = api.get("/docs")
    assert response.status_code == 200
    assert "openapi.json" in response.text


def test_unknown_route_and_wrong_method(api):
    assert_error(api.get("/nao-existe"), 404, "NOT_FOUND")
    response = api.get("/aluno/checkin")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"
