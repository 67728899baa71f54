"""Use cases of retraining requests: queue one, read its status.

A request is answered only once the broker has confirmed the command, so an accepted request is
never lost. If the broker cannot take it, the job is marked failed and the caller is told to
retry (UNAVAILABLE); the consumer that trains lands with the churn model work.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from frequenta_churn.models import RetrainingJob, RetrainingState
from frequenta_churn.uow import UnitOfWork
from frequenta_kit.errors import InvalidInput, NotFound, Unavailable

log = logging.getLogger(__name__)

RETRAINING_QUEUE = "model-retraining"


class CommandSender(Protocol):
    async def __call__(self, job: RetrainingJob) -> None: ...


async def request_retraining(
    *,
    uow: UnitOfWork,
    send: CommandSender,
    clock: Callable[[], datetime],
    promote_if_better: bool,
) -> RetrainingJob:
    job = RetrainingJob(
        id=uuid.uuid4(),
        state=RetrainingState.QUEUED,
        promote_if_better=promote_if_better,
        requested_at=clock(),
        promoted=False,
    )
    async with uow:
        uow.retraining_jobs.add(job)
        await uow.commit()
    try:
        await send(job)
    except Exception as error:
        log.warning("retraining job %s could not be queued: %s", job.id, error)
        async with uow:
            stored = await uow.retraining_jobs.get(job.id)
            if stored is not None:
                stored.state = RetrainingState.FAILED
                stored.error = "the message broker did not accept the job; request it again"
                stored.finished_at = clock()
                await uow.commit()
        raise Unavailable(
            "BROKER_UNAVAILABLE",
            "The retraining job could not be queued because the message broker is unavailable; "
            "try again shortly.",
        ) from error
    log.info("retraining job %s queued", job.id)
    return job


def parse_job_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidInput(
            "VALIDATION_ERROR", f"job_id {raw!r} is not a UUID.", field="job_id"
        ) from None


async def get_retraining_job(*, uow: UnitOfWork, job_id: str) -> RetrainingJob:
    key = parse_job_id(job_id)
    async with uow:
        job = await uow.retraining_jobs.get(key)
    if job is None:
        raise NotFound("JOB_NOT_FOUND", f"No retraining job with id {job_id}.", field="job_id")
    return job
