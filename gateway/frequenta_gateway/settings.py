"""Settings of the gateway process (FREQUENTA_GATEWAY_*, FREQUENTA_*_ADDRESS, ...)."""

from pydantic import Field

from frequenta_kit.settings import BaseProcessSettings


class GatewaySettings(BaseProcessSettings):
    """Built once by ``__main__`` (or a test) and handed to :func:`create_app`."""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    # host:port of the gRPC services the gateway talks to.
    attendance_address: str = "127.0.0.1:50051"
    churn_address: str = "127.0.0.1:50052"
    # Deadline of every gRPC call the gateway makes.
    grpc_deadline_seconds: float = Field(default=5.0, gt=0)
    # Value of the Retry-After header on 503 answers.
    retry_after_seconds: int = Field(default=30, ge=1)
    # Seconds uvicorn gives in-flight requests on shutdown.
    shutdown_grace_seconds: float = 10.0
