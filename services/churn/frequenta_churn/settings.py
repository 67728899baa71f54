from frequenta_kit.settings import BaseProcessSettings


class ChurnSettings(BaseProcessSettings):
    """Settings of the churn service (environment variables FREQUENTA_CHURN_*)."""

    churn_database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/frequenta_churn"
    churn_grpc_host: str = "127.0.0.1"
    churn_grpc_port: int = 50052
    shutdown_grace_seconds: float = 10.0
