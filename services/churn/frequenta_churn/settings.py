from pydantic import Field

from frequenta_kit.settings import BaseProcessSettings


class ChurnSettings(BaseProcessSettings):
    """Settings of the churn service (environment variables FREQUENTA_CHURN_*)."""

    churn_database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/frequenta_churn"
    churn_grpc_host: str = "127.0.0.1"
    churn_grpc_port: int = 50052
    shutdown_grace_seconds: float = 10.0

    # The feature projection (docs/churn.md). Attendance's gRPC address, for its export streams.
    attendance_address: str = "127.0.0.1:50051"
    # The projection's queue of events (<namespace>.<name>); a rebuild into a second database
    # gives that database's consumer a queue of its own.
    projection_queue: str = "churn-projection"
    # Events delivered and not yet acked per projection worker: those waiting are applied in
    # one transaction (a delivery batch), and when a batch fails each is applied alone on a
    # connection of its own (the pool's size). Enough to keep deliveries flowing while a batch
    # commits, few enough that a crash redelivers little.
    projection_prefetch: int = Field(default=16, ge=1, le=256)
    # At most this many events in one delivery batch (one transaction); 1: every event in a
    # transaction of its own, up to the prefetch at once (the consumer before batches).
    projection_batch_size: int = Field(default=64, ge=1, le=256)
    # Exported rows merged per statement and transaction by rebuild-projection.
    rebuild_batch_size: int = Field(default=2000, ge=1, le=50_000)

    # Training (the retrain worker, docs/model.md): the label's horizon in days, the seed of
    # every fit, the deadline of each export stream from attendance, and how often a job
    # waiting for another worker's training checks whether it is its turn.
    training_horizon_days: int = Field(default=30, ge=1, le=365)
    training_seed: int = Field(default=0, ge=0)
    export_timeout_seconds: float = Field(default=600.0, gt=0)
    training_lock_poll_seconds: float = Field(default=1.0, gt=0)

    # Serving risk (docs/churn.md, "Serving risk"): how often each process asks the registry
    # whether the serving model changed (one primary-key read; the process that promotes swaps
    # at once), how often the at-risk list's snapshot of every active member is rescored
    # besides on a model swap, and how often served predictions are written to `risco`.
    model_poll_seconds: float = Field(default=2.0, gt=0, le=300)
    risk_snapshot_seconds: float = Field(default=300.0, gt=0)
    risk_flush_seconds: float = Field(default=1.0, gt=0, le=60)

    # Retention work (docs/retention.md): the share of the members at high risk drawn into the
    # control group (left uncontacted, to measure whether contacts help) and the draw's seed;
    # how many members the team can call per day (the at-risk list's `capacidade_diaria`);
    # how long a contact counts as recent for the contact status.
    retention_control_share: float = Field(default=0.1, ge=0, le=0.5)
    retention_seed: int = Field(default=0, ge=0)
    retention_daily_calls: int = Field(default=40, ge=1, le=100_000)
    retention_contact_window_days: int = Field(default=30, ge=1, le=365)
