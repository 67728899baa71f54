"""The one table from domain errors to gRPC statuses, and reading the details back."""

import grpc
import pytest
from grpc.aio import AioRpcError, Metadata

from frequenta_kit.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    Unavailable,
)
from frequenta_kit.grpc_errors import describe_rpc_error, grpc_code_for, to_grpc_status


@pytest.mark.parametrize(
    ("error_class", "expected"),
    [
        (NotFound, grpc.StatusCode.NOT_FOUND),
        (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
        (Conflict, grpc.StatusCode.FAILED_PRECONDITION),
        (InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
        (Unavailable, grpc.StatusCode.UNAVAILABLE),
        (DomainError, grpc.StatusCode.INTERNAL),
    ],
)
def test_each_domain_error_has_one_status(error_class: type[DomainError], expected) -> None:
    assert grpc_code_for(error_class("X", "x")) == expected


def test_subclasses_inherit_their_parents_status() -> None:
    class MemberNotFound(NotFound):
        pass

    assert grpc_code_for(MemberNotFound("MEMBER_NOT_FOUND", "no")) == grpc.StatusCode.NOT_FOUND


def test_reason_and_field_survive_the_round_trip() -> None:
    error = InvalidInput("TIMESTAMP_IN_FUTURE", "entered_at is 2 hours ahead", field="entered_at")
    status = to_grpc_status(error)
    call_error = AioRpcError(
        status.code, Metadata(), Metadata(*status.trailing_metadata), details=status.details
    )

    info = describe_rpc_error(call_error)

    assert info.status == grpc.StatusCode.INVALID_ARGUMENT
    assert info.reason == "TIMESTAMP_IN_FUTURE"
    assert info.field == "entered_at"
    assert info.message == "entered_at is 2 hours ahead"


def test_a_plain_status_without_details_is_still_described() -> None:
    call_error = AioRpcError(
        grpc.StatusCode.UNAVAILABLE, Metadata(), Metadata(), details="connection refused"
    )
    info = describe_rpc_error(call_error)
    assert (info.status, info.reason, info.field) == (grpc.StatusCode.UNAVAILABLE, None, None)
    assert info.message == "connection refused"
