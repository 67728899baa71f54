"""The request id of the work in progress, in one context variable every process shares.

The gateway takes it from ``X-Request-ID`` (or makes one) for each HTTP request; gRPC calls carry
it in the ``x-request-id`` metadata key (:mod:`frequenta_kit.grpc_channels` sends it,
:mod:`frequenta_kit.grpc_observability` reads it); attendance writes it into the events and work
messages a request creates (``EventEnvelope.request_id`` and the AMQP header ``x-request-id``),
and consumers read it back from that header. Log lines show it (:mod:`frequenta_kit.logs`).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# The gRPC metadata key and the AMQP header (lower case, as gRPC requires).
METADATA_KEY = "x-request-id"
HEADER = "X-Request-ID"

# What is taken from outside: printable, short, no spaces (safe in headers, logs and metadata),
# and no '@': an e-mail address sent as an id would end up in every log line (LGPD).
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

_request_id: ContextVar[str | None] = ContextVar("frequenta_request_id", default=None)


def acceptable(value: str) -> bool:
    """Whether an id sent by a client can be kept as it is (otherwise a new one is made)."""
    return bool(_ACCEPTABLE.match(value))


def current() -> str | None:
    return _request_id.get()


def set_current(value: str | None) -> None:
    """Sets the id for the rest of the current context (a task, a request's handler)."""
    _request_id.set(value or None)


@contextmanager
def bound(value: str | None) -> Iterator[None]:
    """The id ``value`` (None: no id) inside the block, the previous one after it."""
    token = _request_id.set(value or None)
    try:
        yield
    finally:
        _request_id.reset(token)
