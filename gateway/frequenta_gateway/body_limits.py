"""Request bodies are bounded before they are read (README, "Limits").

A small ASGI middleware: a body whose ``Content-Length`` exceeds the route's limit is answered
413 ``PAYLOAD_TOO_LARGE`` at once, unread; a body without one (chunked) is counted as it
streams in and refused the moment it passes the limit. Every route takes
``max_body_bytes`` (64 KiB by default: the JSON bodies of this API are a few hundred bytes);
the bulk upload, ``bulk_max_body_bytes`` (64 MiB).
"""

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frequenta_gateway.errors import error_response
from frequenta_gateway.routes.batches import PATH as BULK_PATH
from frequenta_gateway.settings import GatewaySettings

PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when a streamed body passes its limit (an HTTPException, so
    FastAPI's body reading lets it through to the handler below)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"The body exceeds {limit} bytes, the most this route takes."


def refusal(limit: int) -> JSONResponse:
    return error_response(413, PAYLOAD_TOO_LARGE, too_large_message(limit))


class BodySizeLimit:
    """Refuses bodies over ``limit`` bytes (``limits_by_path`` for the paths named there)."""

    def __init__(self, app: ASGIApp, *, limit: int, limits_by_path: Mapping[str, int]) -> None:
        self.app = app
        self.limit = limit
        self.limits_by_path = dict(limits_by_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits_by_path.get(scope["path"], self.limit)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await refusal(limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


def install_body_limits(app: FastAPI, settings: GatewaySettings) -> None:
    async def on_too_large(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, BodyTooLarge)
        return error_response(413, PAYLOAD_TOO_LARGE, str(error.detail))

    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        limits_by_path={BULK_PATH: settings.bulk_max_body_bytes},
    )
    app.add_exception_handler(BodyTooLarge, on_too_large)
