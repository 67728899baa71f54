"""The one error layer. Every failure, wherever it comes from (a gRPC status, request validation,
malformed JSON, an unknown route, a bug), leaves the gateway as
``{"erro": {"codigo", "mensagem", "detalhes": [{"campo", "mensagem"}]}}``.

gRPC status -> HTTP status lives in :data:`HTTP_BY_GRPC_STATUS`, and only there.
"""

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from frequenta_gateway.schemas.errors import ErrorContent, ErrorDetail, ErrorResponse
from frequenta_gateway.vocabulary import REST_FIELD_BY_PROTO_FIELD, rest_field
from frequenta_kit import request_ids
from frequenta_kit.grpc_errors import describe_rpc_error
from frequenta_kit.privacy import validation_summary

log = logging.getLogger(__name__)

VALIDATION_ERROR = "VALIDATION_ERROR"
TIMESTAMP_WITHOUT_TIMEZONE = "TIMESTAMP_WITHOUT_TIMEZONE"


@dataclass(frozen=True)
class HttpEquivalent:
    """How one gRPC status is answered over HTTP."""

    status: int
    # `codigo` when the gRPC error carries no ErrorInfo reason (e.g. a transport failure).
    default_code: str
    # Replaces the gRPC text when there is no ErrorInfo: transport details are not for clients.
    default_message: str | None = None


HTTP_BY_GRPC_STATUS: Mapping[grpc.StatusCode, HttpEquivalent] = {
    grpc.StatusCode.NOT_FOUND: HttpEquivalent(404, "NOT_FOUND"),
    grpc.StatusCode.ALREADY_EXISTS: HttpEquivalent(409, "CONFLICT"),
    grpc.StatusCode.FAILED_PRECONDITION: HttpEquivalent(409, "CONFLICT"),
    grpc.StatusCode.INVALID_ARGUMENT: HttpEquivalent(422, VALIDATION_ERROR),
    grpc.StatusCode.UNAVAILABLE: HttpEquivalent(
        503, "SERVICE_UNAVAILABLE", "A service behind the gateway is unavailable; retry shortly."
    ),
    grpc.StatusCode.DEADLINE_EXCEEDED: HttpEquivalent(
        504, "UPSTREAM_TIMEOUT", "A service behind the gateway did not answer in time; retry."
    ),
    # A service refused the gateway's own credentials (FREQUENTA_INTERNAL_TOKEN): the gateway is
    # misconfigured, not the client unauthorised. Callers' logins are answered by the token route.
    grpc.StatusCode.UNAUTHENTICATED: HttpEquivalent(
        502, "UPSTREAM_REFUSED", "A service refused the gateway's credentials; tell an operator."
    ),
    grpc.StatusCode.PERMISSION_DENIED: HttpEquivalent(
        502, "UPSTREAM_REFUSED", "A service refused the gateway's credentials; tell an operator."
    ),
}
UNEXPECTED = HttpEquivalent(500, "INTERNAL_ERROR", "Unexpected error; it was logged.")


def http_equivalent(code: grpc.StatusCode) -> HttpEquivalent:
    return HTTP_BY_GRPC_STATUS.get(code, UNEXPECTED)


class ApiError(Exception):
    """An error the gateway itself decides on (not one reported by a service)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Sequence[ErrorDetail] = (),
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details)
        self.headers = dict(headers or {})

    @classmethod
    def invalid(cls, field: str, message: str) -> "ApiError":
        return cls(422, VALIDATION_ERROR, message, [ErrorDetail(campo=field, mensagem=message)])


def error_response(
    status: int,
    code: str,
    message: str,
    details: Sequence[ErrorDetail] = (),
    *,
    retry_after: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(erro=ErrorContent(codigo=code, mensagem=message, detalhes=list(details)))
    all_headers = dict(headers or {})
    if status == 503 and retry_after is not None:
        all_headers["Retry-After"] = str(retry_after)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=all_headers)


# --- gRPC errors ---------------------------------------------------------------------------------


def rest_wording(message: str, field: str) -> str:
    """Services word their messages with proto field names; clients know the REST ones. Renames
    the offending field and every snake_case proto name (plain words like "reason" stay)."""
    names = {name for name in REST_FIELD_BY_PROTO_FIELD if "_" in name} | {field}
    pattern = r"\b(" + "|".join(re.escape(name) for name in sorted(names, key=len)[::-1]) + r")\b"
    return re.sub(pattern, lambda match: rest_field(match.group(1)), message)


def rpc_error_response(error: grpc.aio.AioRpcError, retry_after: int) -> JSONResponse:
    described = describe_rpc_error(error)
    mapping = http_equivalent(described.status)
    if described.reason:
        code, message = described.reason, described.message
    else:
        code = mapping.default_code
        message = mapping.default_message or described.message or HTTPStatus(mapping.status).phrase
    details = []
    if described.field:
        message = rest_wording(message, described.field)
        details.append(ErrorDetail(campo=rest_field(described.field), mensagem=message))
    if mapping.status >= 500:
        log.warning("gRPC call failed: %s %s", described.status.name, described.message)
    return error_response(mapping.status, code, message, details, retry_after=retry_after)


# --- request validation --------------------------------------------------------------------------

_LOCATIONS = {"body", "query", "path", "header", "cookie"}
_MESSAGES = {
    "extra_forbidden": "Unknown field; check its spelling",
    "missing": "Field required",
    "timezone_aware": "Timestamp without a UTC offset; send ISO-8601 with an offset, "
    "e.g. 2025-03-10T07:15:00-03:00",
}


def field_name(loc: Sequence[str | int], error_type: str = "") -> str:
    """REST name of the field a pydantic error location points at ("corpo" for the body)."""
    parts = list(loc[1:] if loc and loc[0] in _LOCATIONS else loc)
    if error_type == "json_invalid":
        parts = []  # the location is a character position, not a field
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "corpo"


def _detail(error: Mapping[str, Any]) -> ErrorDetail:
    kind = error.get("type", "")
    campo = field_name(error.get("loc", ()), kind)
    if kind == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        message = f"Malformed JSON body: {reason}" if reason else "Malformed JSON body"
    elif kind == "model_attributes_type" and campo == "corpo":
        message = "The body must be a JSON object"
    elif kind == "missing" and campo == "corpo":
        message = "A JSON body is required"
    else:
        message = _MESSAGES.get(kind) or str(error.get("msg", "Invalid value"))
        message = message.removeprefix("Value error, ")
    return ErrorDetail(campo=campo, mensagem=message)


def validation_details(errors: Sequence[Mapping[str, Any]]) -> list[ErrorDetail]:
    """One ``detalhes`` entry per pydantic error, worded like the rest of the API."""
    return [_detail(error) for error in errors]


def validation_response(errors: Sequence[Mapping[str, Any]]) -> JSONResponse:
    details = [_detail(error) for error in errors]
    naive = bool(errors) and all(error.get("type") == "timezone_aware" for error in errors)
    code = TIMESTAMP_WITHOUT_TIMEZONE if naive else VALIDATION_ERROR
    fields = ", ".join(dict.fromkeys(detail.campo for detail in details))
    if naive:
        message = f"Timestamps need a UTC offset (e.g. 2025-03-10T07:15:00-03:00): {fields}."
    else:
        plural = "field" if len(details) == 1 else "fields"
        message = f"The request has {len(details)} invalid {plural}: {fields}."
    return error_response(422, code, message, details)


# --- handlers ------------------------------------------------------------------------------------


def install_error_handlers(app: FastAPI, *, retry_after: int) -> None:
    """Registers the handlers that turn every exception into the one error body."""

    async def on_rpc_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, grpc.aio.AioRpcError)
        return rpc_error_response(error, retry_after)

    async def on_api_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        return error_response(
            error.status,
            error.code,
            error.message,
            error.details,
            retry_after=retry_after,
            headers=error.headers,
        )

    async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return validation_response(error.errors())

    async def on_http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        phrase = HTTPStatus(error.status_code).phrase
        if error.status_code == 404:
            message = f"No route {request.method} {request.url.path}."
        elif error.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}."
        else:
            message = str(error.detail) if error.detail else phrase
        code = HTTPStatus(error.status_code).name
        return error_response(error.status_code, code, message, headers=error.headers)

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        withheld = validation_summary(error)  # its message would print a member's data
        if withheld is not None:
            log.error("unexpected error on %s %s: %s", request.method, request.url.path, withheld)
        else:
            log.exception("unexpected error on %s %s", request.method, request.url.path)
        message = UNEXPECTED.default_message or "Unexpected error"
        # Answered outside the middlewares, so the request id is added here.
        request_id = request_ids.current()
        headers = {request_ids.HEADER: request_id} if request_id else None
        return error_response(UNEXPECTED.status, UNEXPECTED.default_code, message, headers=headers)

    app.add_exception_handler(grpc.aio.AioRpcError, on_rpc_error)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
