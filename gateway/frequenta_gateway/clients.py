"""The gRPC side of the gateway: one channel per service for the app's lifetime, the stubs on
them, and the FastAPI dependencies that hand them to routes."""

from dataclasses import dataclass, field
from typing import Annotated

import grpc
from fastapi import Depends, Request
from grpc_health.v1 import health_pb2_grpc

from frequenta.attendance.v1 import attendance_pb2, attendance_pb2_grpc
from frequenta.churn.v1 import churn_pb2, churn_pb2_grpc
from frequenta_gateway.settings import GatewaySettings
from frequenta_kit import grpc_channels

ATTENDANCE_SERVICE = attendance_pb2.DESCRIPTOR.services_by_name["AttendanceService"].full_name
CHURN_SERVICE = churn_pb2.DESCRIPTOR.services_by_name["ChurnService"].full_name


@dataclass(frozen=True)
class HealthTarget:
    """A service whose gRPC health the readiness probe asks."""

    stub: health_pb2_grpc.HealthStub
    service: str


@dataclass
class Backends:
    """Channels and stubs, opened by the app's lifespan and closed at shutdown."""

    attendance: attendance_pb2_grpc.AttendanceServiceStub
    churn: churn_pb2_grpc.ChurnServiceStub
    health: dict[str, HealthTarget]
    # Users and their passwords, served by the attendance process (same channel).
    users: attendance_pb2_grpc.UserServiceStub
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    @classmethod
    def open(cls, settings: GatewaySettings) -> "Backends":
        attendance = grpc_channels.channel(
            settings.attendance_address,
            service_config=grpc_channels.retrying_reads(
                grpc_channels.ATTENDANCE_READS, grpc_channels.HEALTH_READS
            ),
            max_message_bytes=settings.grpc_max_message_bytes,
            token=settings.internal_token,
        )
        churn = grpc_channels.channel(
            settings.churn_address,
            service_config=grpc_channels.retrying_reads(
                grpc_channels.CHURN_READS, grpc_channels.HEALTH_READS
            ),
            token=settings.internal_token,
        )
        return cls(
            attendance=attendance_pb2_grpc.AttendanceServiceStub(attendance),
            churn=churn_pb2_grpc.ChurnServiceStub(churn),
            health={
                "attendance": HealthTarget(
                    health_pb2_grpc.HealthStub(attendance), ATTENDANCE_SERVICE
                ),
                "churn": HealthTarget(health_pb2_grpc.HealthStub(churn), CHURN_SERVICE),
            },
            users=attendance_pb2_grpc.UserServiceStub(attendance),
            channels=[attendance, churn],
        )

    async def close(self, grace: float | None = None) -> None:
        for channel in self.channels:
            await channel.close(grace)


def _backends(request: Request) -> Backends:
    return request.app.state.backends


# The dependencies below are `async def` although they await nothing: FastAPI runs a plain
# `def` dependency in its thread pool, a thread hop per dependency per request (a fifth of the
# gateway's CPU per check-in, docs/http-load.md); tests/unit/gateway/test_dependencies.py keeps
# every route's dependencies async.
async def get_attendance(request: Request) -> attendance_pb2_grpc.AttendanceServiceStub:
    return _backends(request).attendance


async def get_churn(request: Request) -> churn_pb2_grpc.ChurnServiceStub:
    return _backends(request).churn


async def get_users(request: Request) -> attendance_pb2_grpc.UserServiceStub:
    return _backends(request).users


async def get_health_targets(request: Request) -> dict[str, HealthTarget]:
    return _backends(request).health


async def get_deadline(request: Request) -> float:
    """Seconds allowed to every gRPC call (passed as ``timeout=``)."""
    settings: GatewaySettings = request.app.state.settings
    return settings.grpc_deadline_seconds


async def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


AttendanceDep = Annotated[attendance_pb2_grpc.AttendanceServiceStub, Depends(get_attendance)]
ChurnDep = Annotated[churn_pb2_grpc.ChurnServiceStub, Depends(get_churn)]
UsersDep = Annotated[attendance_pb2_grpc.UserServiceStub, Depends(get_users)]
HealthDep = Annotated[dict[str, HealthTarget], Depends(get_health_targets)]
DeadlineDep = Annotated[float, Depends(get_deadline)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
