"""Personal data kept out of logs: redacted query parameters in access lines, and database
errors that name their SQL but not its values (docs/personal-data.md)."""

import io
import logging

import pytest

from frequenta_kit.database import create_engine
from frequenta_kit.privacy import (
    QueryRedactingFilter,
    redact_access_log,
    redact_query,
    validation_summary,
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/alunos?q=ana@example.com&status=ativos", "/alunos?q=***&status=ativos"),
        ("/alunos?q=ana%40example.com", "/alunos?q=***"),
        ("/alunos?pagina=2&q=Souza+Ana", "/alunos?pagina=2&q=***"),
        ("/alunos?email=a@b.co&telefone=%2B55+11+9", "/alunos?email=***&telefone=***"),
        (
            "/aluno/1/frequencia?data_inicio=2026-09-01",
            "/aluno/1/frequencia?data_inicio=2026-09-01",
        ),
        ("/aluno/1", "/aluno/1"),
    ],
)
def test_personal_query_values_are_redacted_and_the_rest_kept(path: str, expected: str) -> None:
    assert redact_query(path) == expected


def test_the_access_line_of_a_member_search_names_no_e_mail() -> None:
    logger = logging.getLogger("test.uvicorn.access")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    redact_access_log(logger.name)
    redact_access_log(logger.name)
    try:
        # The call uvicorn makes for each request.
        logger.warning(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/alunos?q=zu@x.com", "1.1", 200
        )
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == '127.0.0.1:5000 - "GET /alunos?q=*** HTTP/1.1" 200\n'
    assert sum(isinstance(f, QueryRedactingFilter) for f in logger.filters) == 1


def test_database_errors_hide_their_parameters() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    assert engine.sync_engine.hide_parameters


def test_only_validation_errors_are_summarised() -> None:
    from pydantic import BaseModel, ValidationError

    class Person(BaseModel):
        email: int

    try:
        Person(email="ana@example.com")  # type: ignore[arg-type]
    except ValidationError as error:
        summary = validation_summary(error)
    assert summary is not None and "email: int_parsing" in summary
    assert "ana@example.com" not in summary
    assert validation_summary(RuntimeError("ana@example.com")) is None
