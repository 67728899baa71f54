"""The one error body, and the OpenAPI description of the error answers of each route."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    """One problem with one input field."""

    campo: str = Field(
        description="The REST field at fault (dotted when nested; `corpo` for the whole body).",
        examples=["data_entrada"],
    )
    mensagem: str = Field(description="What is wrong with it.", examples=["Field required"])

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"campo": "email", "mensagem": "Field required"}]}
    )


class ErrorContent(BaseModel):
    """What went wrong: a stable machine code, a message for people, per-field details."""

    codigo: str = Field(
        description="Stable machine code, e.g. MEMBER_NOT_FOUND, VALIDATION_ERROR, NO_MODEL.",
        examples=["MEMBER_NOT_FOUND"],
    )
    mensagem: str = Field(
        description="English text a person can act on.", examples=["Member 42 does not exist."]
    )
    detalhes: list[ErrorDetail] = Field(
        default_factory=list, description="One entry per offending field; may be empty."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "codigo": "MEMBER_NOT_FOUND",
                    "mensagem": "Member 42 does not exist.",
                    "detalhes": [{"campo": "aluno_id", "mensagem": "Member 42 does not exist."}],
                }
            ]
        }
    )


class ErrorResponse(BaseModel):
    """The body of every error answer of the API."""

    erro: ErrorContent

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "erro": {
                        "codigo": "VALIDATION_ERROR",
                        "mensagem": "The request has 1 invalid field: aluno_id.",
                        "detalhes": [
                            {"campo": "aluno_id", "mensagem": "Input should be a valid integer"}
                        ],
                    }
                }
            ]
        }
    )


def _example(codigo: str, mensagem: str, campo: str | None = None) -> dict[str, Any]:
    detalhes = [{"campo": campo, "mensagem": mensagem}] if campo else []
    return {"erro": {"codigo": codigo, "mensagem": mensagem, "detalhes": detalhes}}


# Status -> (description, example) used in the `responses=` of the routes.
_ERROR_DOCS: dict[int, tuple[str, dict[str, Any]]] = {
    401: (
        "No token, or one that is not valid (wrong signature, algorithm, issuer or audience, "
        "tampered, expired: TOKEN_EXPIRED). Get one from POST /auth/token. The answer carries "
        "`WWW-Authenticate: Bearer`.",
        _example(
            "UNAUTHENTICATED", "This route needs a bearer token; get one from POST /auth/token."
        ),
    ),
    403: (
        "The token is valid but its role may not use this route.",
        _example("FORBIDDEN", "Role catraca may not use GET /alunos; allowed: admin, equipe."),
    ),
    404: (
        "Unknown id (member, plan) or route.",
        _example("MEMBER_NOT_FOUND", "Member 42 does not exist.", "aluno_id"),
    ),
    409: (
        "The current state forbids the operation (duplicate e-mail, visit already open, "
        "membership cancelled, a request with the same idempotency key still in flight...).",
        _example(
            "EMAIL_ALREADY_REGISTERED", "E-mail ana@example.com is already registered.", "email"
        ),
    ),
    422: (
        "Invalid input: wrong type, missing or unknown field, malformed JSON, timestamp without "
        "offset or in the future, an idempotency key already used for other data.",
        _example("VALIDATION_ERROR", "Input should be a valid integer", "aluno_id"),
    ),
    413: (
        "The body or the number of rows is over the limit (64 MiB, 100,000 rows by default).",
        _example("TOO_MANY_ROWS", "The batch has 120000 rows; at most 100000 per upload."),
    ),
    415: (
        "The body is neither JSON nor CSV.",
        _example(
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the batch as application/json or text/csv, not text/xml.",
        ),
    ),
    503: (
        "A service behind the gateway is unavailable, or no churn model exists yet (NO_MODEL). "
        "Retry after the number of seconds in `Retry-After`.",
        _example("NO_MODEL", "No churn model has been trained yet."),
    ),
    504: (
        "A service behind the gateway did not answer within the deadline.",
        _example("UPSTREAM_TIMEOUT", "A service behind the gateway did not answer in time."),
    ),
    429: (
        "Too many requests from this client (or login attempts from this address or for this "
        "login); retry after the seconds in `Retry-After`.",
        _example("RATE_LIMITED", "Too many login attempts for this user: at most 5 per 1 minute."),
    ),
    500: ("Unexpected error.", _example("INTERNAL_ERROR", "Unexpected error; it was logged.")),
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses=` entry for the given error statuses (plus 500, 503 and 504,
    which any route that calls a service may answer)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*statuses, 500, 503, 504}):
        description, example = _ERROR_DOCS[status]
        responses[status] = {
            "model": ErrorResponse,
            "description": description,
            "content": {"application/json": {"example": example}},
        }
    responses[503]["headers"] = {
        "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {"type": "integer"},
        }
    }
    return responses


def error_doc(status: int) -> dict[str, Any]:
    """The OpenAPI answer of one error status, for routes documented after they were built
    (the schema by reference: ErrorResponse is among the components of every route's errors)."""
    description, example = _ERROR_DOCS[status]
    doc: dict[str, Any] = {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorResponse"},
                "example": example,
            }
        },
    }
    if status == 401:
        doc["headers"] = {
            "WWW-Authenticate": {
                "description": '`Bearer`, or `Bearer error="invalid_token"` for a bad token.',
                "schema": {"type": "string"},
            }
        }
    return doc
