"""Helpers of the attendance integration tests: timestamps, unique e-mails, reading errors."""

import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from frequenta_kit.grpc_errors import RpcErrorInfo, describe_rpc_error


def now() -> datetime:
    return datetime.now(UTC)


def ago(**delta: float) -> datetime:
    return now() - timedelta(**delta)


def ts(instant: datetime) -> Timestamp:
    encoded = Timestamp()
    encoded.FromDatetime(instant)
    return encoded


def instant(timestamp: Timestamp) -> datetime:
    return timestamp.ToDatetime(tzinfo=UTC)


def unique_email(domain: str = "example.com") -> str:
    return f"member-{uuid.uuid4().hex[:12]}@{domain}"


def unique_code(prefix: str = "plan") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def rpc_error(call: Awaitable[object]) -> RpcErrorInfo:
    """The status, reason and field of a call that must fail."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return describe_rpc_error(caught.value)


def assert_error(
    error: RpcErrorInfo, status: grpc.StatusCode, reason: str, field: str | None = None
) -> None:
    assert (error.status, error.reason) == (status, reason), error
    if field is not None:
        assert error.field == field, error
    assert error.message, "every error explains itself"
