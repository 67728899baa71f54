"""Hand-written fakes of the gRPC stubs, helpers that build the errors a server sends, and the
Authorization header of a valid token of any role."""

from dataclasses import dataclass
from typing import Any

import grpc

from frequenta_gateway.auth import tokens
from frequenta_gateway.auth.principal import Principal, Role
from frequenta_gateway.settings import GatewaySettings
from frequenta_kit.errors import DomainError
from frequenta_kit.grpc_errors import to_grpc_status


def rpc_error(error: DomainError) -> grpc.aio.AioRpcError:
    """The AioRpcError a client sees when a server aborts with ``error`` (ErrorInfo included)."""
    status = to_grpc_status(error)
    return grpc.aio.AioRpcError(
        status.code,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(*status.trailing_metadata),
        details=status.details,
    )


def bare_rpc_error(code: grpc.StatusCode, details: str = "") -> grpc.aio.AioRpcError:
    """A failure without rich details, like a transport error or a deadline."""
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)


@dataclass
class Call:
    method: str
    request: Any
    timeout: float | None


class FakeStub:
    """Stands for a generated gRPC stub: each RPC answers what the test scripted with
    :meth:`answer` (a reply, or an exception to raise) and records the request and its timeout."""

    def __init__(self) -> None:
        self.replies: dict[str, Any] = {}
        self.calls: list[Call] = []

    def answer(self, method: str, reply: Any) -> None:
        self.replies[method] = reply

    def requests(self, method: str) -> list[Any]:
        return [call.request for call in self.calls if call.method == method]

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)

        # The generated stubs take `timeout=`; the fake records it.
        async def call(request: Any, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
            self.calls.append(Call(method, request, timeout))
            if method not in self.replies:
                raise AssertionError(f"unexpected RPC {method}")
            reply = self.replies[method]
            if isinstance(reply, BaseException):
                raise reply
            return reply

        return call


def bearer(
    settings: GatewaySettings, role: Role = Role.ADMIN, aluno_id: int | None = None
) -> dict[str, str]:
    """The Authorization header of a valid token of ``role``."""
    principal = Principal(login=f"test-{role}", papel=role, aluno_id=aluno_id)
    return {"Authorization": f"Bearer {tokens.issue(settings, principal).access_token}"}
