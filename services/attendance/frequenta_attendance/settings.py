"""Settings of the attendance process, read from ``FREQUENTA_*`` environment variables."""

from datetime import timedelta

from pydantic import Field, SecretStr

from frequenta_kit.settings import BaseProcessSettings

# The first admin's password when none is set, in a local/dev/test environment only (README,
# "Authentication and roles"). Anywhere else no admin is created until a password is set.
DEV_ADMIN_PASSWORD = "frequenta-dev-admin"


class AttendanceSettings(BaseProcessSettings):
    """Built once by the entry point and passed down; nothing reads the environment elsewhere."""

    attendance_database_url: str = (
        "postgresql+asyncpg://postgres@127.0.0.1:5432/frequenta_attendance"
    )
    attendance_grpc_host: str = "127.0.0.1"
    attendance_grpc_port: int = Field(default=50051, ge=0, le=65535)
    # How far in the future a client's clock may be: instants beyond now + skew are refused.
    clock_skew_seconds: int = Field(default=300, ge=0, le=3600)
    # A visit lasts at most this long; an exit-less visit older than this is a forgotten check-out.
    max_visit_hours: int = Field(default=6, ge=1, le=24)
    # In-flight calls get this long to finish after SIGTERM.
    shutdown_grace_seconds: float = Field(default=10, ge=0)
    # Connections of the server's pool, all kept open (no overflow): its concurrent transactions.
    database_pool_size: int = Field(default=20, ge=1)
    # Largest gRPC message taken (a 100,000-row SubmitCheckInBatch is about 10 MB).
    grpc_max_message_bytes: int = Field(default=64 * 1024 * 1024, ge=4 * 1024 * 1024)

    # Bulk imports (docs/bulk-imports.md): rows one batch may hold, rows per work message.
    import_max_rows: int = Field(default=100_000, ge=1, le=1_000_000)
    import_chunk_rows: int = Field(default=5000, ge=1, le=10_000)
    # The ingestion worker (python -m frequenta_attendance worker ingest): chunks in flight in
    # one process; run more processes to scale out.
    ingest_prefetch: int = Field(default=4, ge=1, le=100)
    # StreamCheckIns: events one stream may carry (each answered in the closing response).
    stream_max_events: int = Field(default=100_000, ge=1)

    # The outbox relay (python -m frequenta_attendance relay).
    # Rows read and published per transaction, all in flight at once (one member's in order).
    relay_batch_size: int = Field(default=1000, ge=1, le=10_000)
    # Member partitions; every relay replica must use the same number (see docs/events.md).
    relay_partitions: int = Field(default=16, ge=1, le=1024)
    # Longest wait between two looks at the outbox when no notification arrives.
    relay_poll_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    # Shortest time from the start of one sweep to the start of the next one a notification
    # asks for: under a steady flow of events each sweep carries those of this long, in one
    # transaction; after a quiet spell a notification is swept at once. 0: every notification.
    relay_min_sweep_interval_seconds: float = Field(default=0.02, ge=0, le=1)
    # A publish not confirmed within this is a failure: the row stays and is retried.
    relay_publish_timeout_seconds: float = Field(default=10.0, gt=0)
    # Longest pause after failed publishes (the pause doubles from 0.5 s up to this).
    relay_max_backoff_seconds: float = Field(default=30.0, gt=0)
    # How often the relay logs the outbox lag (and prunes published rows).
    relay_lag_log_interval_seconds: float = Field(default=60.0, gt=0)
    # Published rows are kept this long (for inspection and replays), then deleted.
    relay_retention_hours: float = Field(default=168.0, ge=0)

    # Daily reports (docs/reports.md). The scheduler queues yesterday's report from this local
    # hour on, catches up at most this many missed dates, and wakes up this often.
    report_hour: int = Field(default=2, ge=0, le=23)
    report_catch_up_days: int = Field(default=31, ge=1, le=366)
    scheduler_interval_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Reports one worker process builds at once (each is a few aggregate queries).
    report_worker_prefetch: int = Field(default=2, ge=1, le=50)
    # The churn service, asked by the reports worker how many active members are at high risk
    # (ListAtRiskMembers), and how long it may take; unreachable or slower, the report is built
    # with the count unknown.
    churn_address: str = "127.0.0.1:50052"
    churn_deadline_seconds: float = Field(default=5.0, gt=0, le=60)

    # The first admin of the REST API, created at start-up when no active admin exists.
    admin_login: str = "admin"
    admin_password: SecretStr | None = None

    @property
    def first_admin_password(self) -> str | None:
        """The password to create the first admin with: the setting, else the dev default in a
        local environment, else None (no admin is created)."""
        if self.admin_password is not None and self.admin_password.get_secret_value():
            return self.admin_password.get_secret_value()
        return DEV_ADMIN_PASSWORD if self.is_local else None

    @property
    def clock_skew(self) -> timedelta:
        return timedelta(seconds=self.clock_skew_seconds)

    @property
    def max_visit(self) -> timedelta:
        return timedelta(hours=self.max_visit_hours)
