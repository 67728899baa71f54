"""Base class of every process's settings.

Each process declares its own ``Settings`` subclass and builds it once in its entry point
(``__main__`` or ``create_app``); nothing reads the environment at import time.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from frequenta_kit.broker import Topology

# Values of ``environment`` that mean a developer's machine or a test run: documented dev
# defaults (secrets, the first admin's password) are accepted there and refused anywhere else.
LOCAL_ENVIRONMENTS = frozenset({"local", "dev", "test"})


class BaseProcessSettings(BaseSettings):
    """Settings every process shares. Environment variables are prefixed ``FREQUENTA_``."""

    model_config = SettingsConfigDict(env_prefix="FREQUENTA_", env_file=".env", extra="ignore")

    environment: str = "local"
    log_level: str = "INFO"
    log_json: bool = False
    # gRPC servers log one line per call (method, status code, milliseconds, request id).
    grpc_access_log: bool = True
    # The gym's time zone: the one that decides what a "day" and a "week" are.
    gym_timezone: str = "America/Sao_Paulo"
    # RabbitMQ, and the prefix of every exchange and queue name (tests use their own).
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    broker_namespace: str = "frequenta"
    # Redis (the gateway's cache and rate limits, the services' cache versions), and the prefix
    # of every key written there (tests use their own).
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_key_prefix: str = "frequenta"
    # How long a service waits for Redis when it bumps cache versions after a commit
    # (frequenta_kit.cache_versions); a failed bump never fails the request.
    cache_bump_timeout_seconds: float = Field(default=0.25, gt=0, le=5)
    # The shared token of internal gRPC calls (frequenta_kit.grpc_auth): servers require it in
    # the metadata `authorization: Bearer <token>`, clients send it. Unset: the check is off,
    # which only a local environment (local, dev, test) accepts.
    internal_token: SecretStr | None = None
    # Prometheus metrics (frequenta_kit.metrics): served or not, the address they listen on, and
    # ports by process kind ({"relay": 9205}; 0 = any free port), over the kinds' defaults.
    metrics_enabled: bool = True
    metrics_host: str = "127.0.0.1"
    metrics_ports: dict[str, int] = {}

    @field_validator("gym_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {value!r}, e.g. America/Sao_Paulo") from error
        return value

    @field_validator("internal_token")
    @classmethod
    def _strong_enough_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("use at least 16 characters, e.g. `openssl rand -hex 32`")
        return value

    @property
    def is_local(self) -> bool:
        return self.environment.strip().lower() in LOCAL_ENVIRONMENTS

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.gym_timezone)

    @property
    def topology(self) -> Topology:
        return Topology(namespace=self.broker_namespace)
