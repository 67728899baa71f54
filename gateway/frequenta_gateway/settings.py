"""Settings of the gateway process (FREQUENTA_GATEWAY_*, FREQUENTA_*_ADDRESS, ...)."""

from typing import Self

from limits import parse_many
from pydantic import Field, SecretStr, field_validator, model_validator

from frequenta_kit.settings import BaseProcessSettings

# The signing secret of a local/dev/test environment (README, "Authentication and roles"); the
# gateway refuses to start with it anywhere else.
DEV_JWT_SECRET = "frequenta-dev-jwt-secret-do-not-use-in-production"
MIN_JWT_SECRET_BYTES = 32


class GatewaySettings(BaseProcessSettings):
    """Built once by ``__main__`` (or a test) and handed to :func:`create_app`."""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    # host:port of the gRPC services the gateway talks to.
    attendance_address: str = "127.0.0.1:50051"
    churn_address: str = "127.0.0.1:50052"
    # Deadline of every gRPC call the gateway makes.
    grpc_deadline_seconds: float = Field(default=5.0, gt=0)
    # Value of the Retry-After header on 503 answers: a service restarting or a database failing
    # over is back within seconds, and clients should not wait half a minute for it.
    retry_after_seconds: int = Field(default=5, ge=1)
    # Seconds uvicorn gives in-flight requests on shutdown.
    shutdown_grace_seconds: float = 10.0
    # Largest gRPC message sent or received (a 100,000-row batch is about 10 MB in protobuf).
    grpc_max_message_bytes: int = Field(default=64 * 1024 * 1024, ge=4 * 1024 * 1024)
    # Bulk check-in imports (POST /aluno/checkins/lote): largest body, most rows, and the
    # deadline of the call that queues them (it writes the whole batch to the outbox).
    bulk_max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    bulk_max_rows: int = Field(default=100_000, ge=1)
    bulk_deadline_seconds: float = Field(default=60.0, gt=0)
    # The response cache of GET /aluno/{id}/frequencia, /aluno/{id}/risco-churn and /alunos/risco
    # (docs/cache.md): on or off; how long one Redis call may take; how long the cache is
    # bypassed after a Redis failure; each route's TTL (a backstop: versions keep answers
    # fresh); how long one gateway process holds a key's fill lock, and how long the others
    # wait for its result before computing it themselves.
    cache_enabled: bool = True
    cache_timeout_seconds: float = Field(default=0.05, gt=0, le=5)
    cache_breaker_seconds: float = Field(default=5.0, gt=0, le=300)
    cache_frequencia_ttl_seconds: int = Field(default=300, ge=1)
    cache_risco_ttl_seconds: int = Field(default=300, ge=1)
    cache_lista_ttl_seconds: int = Field(default=60, ge=1)
    cache_lock_milliseconds: int = Field(default=2000, ge=10, le=60_000)
    cache_lock_wait_seconds: float = Field(default=0.5, ge=0, le=10)

    # Largest body of every other route (413 PAYLOAD_TOO_LARGE beyond, before it is read).
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    # Rate limits (rate_limits.py; README, "Limits"), counted in Redis in a moving window.
    # Each is "N/second|minute|hour|day" ("N per 5 minutes"...), several joined by ";".
    # Writes (POST, PUT, PATCH, DELETE) per client: its login, or else its IP address.
    rate_limit_writes: str = "6000/minute"
    # Attempts at the token endpoint per client IP and per login.
    rate_limit_login_per_ip: str = "10/minute"
    rate_limit_login_per_user: str = "5/minute"
    # Redis slower than this (or down): the call goes through unlimited.
    rate_limit_timeout_seconds: float = Field(default=0.25, gt=0, le=5)
    rate_limits_enabled: bool = True

    @field_validator("rate_limit_writes", "rate_limit_login_per_ip", "rate_limit_login_per_user")
    @classmethod
    def _valid_rate_limit(cls, value: str) -> str:
        try:
            limits = parse_many(value)
        except ValueError:
            limits = []
        if not limits or any(limit.amount < 1 for limit in limits):
            raise ValueError(
                f"{value!r} is not a rate limit; write e.g. '120/minute' or '10/minute;100/hour'"
            )
        return value

    # Access tokens (JWT, HS256): the signing secret, the `iss` and `aud` they carry and that
    # are checked, and their lifetime.
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_issuer: str = Field(default="frequenta", min_length=1)
    jwt_audience: str = Field(default="frequenta-api", min_length=1)
    jwt_ttl_seconds: int = Field(default=900, ge=30, le=24 * 3600)

    @model_validator(mode="after")
    def _secret_fit_for_the_environment(self) -> Self:
        """Outside a local/dev/test environment, the dev secret or a short one is refused: the
        process does not start."""
        if self.is_local:
            return self
        secret = self.jwt_secret.get_secret_value()
        advice = (
            "set FREQUENTA_JWT_SECRET to at least 32 random bytes, e.g. the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
        if secret == DEV_JWT_SECRET:
            raise ValueError(
                f"FREQUENTA_JWT_SECRET is the development default, refused in environment "
                f"{self.environment!r}; {advice}"
            )
        if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
            raise ValueError(
                f"FREQUENTA_JWT_SECRET has {len(secret.encode())} bytes, fewer than "
                f"{MIN_JWT_SECRET_BYTES}; {advice}"
            )
        return self
