"""Domain errors: raised by handlers, turned into gRPC statuses (and then HTTP) at the edges.

Each error carries a stable machine ``code`` (e.g. ``MEMBER_NOT_FOUND``), a message a person can
act on, and optionally the input ``field`` at fault.
"""


class DomainError(Exception):
    """Base of every error a use case may raise on purpose."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The id names nothing."""


class AlreadyExists(DomainError):
    """A unique thing (e-mail, code, idempotency key) is taken."""


class Conflict(DomainError):
    """The current state forbids the operation (cancelled member, visit already open...)."""


class InvalidInput(DomainError):
    """The input itself is wrong, whatever the state."""


class Unavailable(DomainError):
    """Something this operation needs is not ready yet (e.g. no trained model)."""


class Unauthenticated(DomainError):
    """The caller's credentials are wrong (unknown login, wrong password, disabled user)."""
