"""Wires the real adapters: engine -> unit of work, broker publisher -> servicer -> server."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta_churn import mappers
from frequenta_churn.grpc_api import ChurnServicer, Dependencies, registrar
from frequenta_churn.models import RetrainingJob
from frequenta_churn.registry import ModelRegistry
from frequenta_churn.retraining import RETRAINING_QUEUE, CommandSender
from frequenta_churn.settings import ChurnSettings
from frequenta_churn.uow import SqlAlchemyUnitOfWork
from frequenta_kit.database import create_session_factory
from frequenta_kit.grpc_server import GrpcServer
from frequenta_kit.publisher import WorkPublisher


def system_clock() -> datetime:
    return datetime.now(UTC)


def retraining_sender(publisher: WorkPublisher) -> CommandSender:
    async def send(job: RetrainingJob) -> None:
        await publisher.publish(
            RETRAINING_QUEUE,
            mappers.retrain_command(job).SerializeToString(),
            message_id=str(job.id),
            message_type="model.retrain",
            content_type="application/x-protobuf",
        )

    return send


def build_server(
    settings: ChurnSettings, engine: AsyncEngine, publisher: WorkPublisher
) -> GrpcServer:
    session_factory = create_session_factory(engine)

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    deps = Dependencies(
        uow=uow,
        send_retraining=retraining_sender(publisher),
        clock=system_clock,
        registry=ModelRegistry(uow, system_clock),
    )
    return GrpcServer(
        registrar(ChurnServicer(deps)), host=settings.churn_grpc_host, port=settings.churn_grpc_port
    )
