"""Use cases of retraining jobs: queue one, read its status, and the worker's transitions
(QUEUED -> RUNNING -> SUCCEEDED or FAILED; SUCCEEDED is written with the registered version by
the registry, in the same transaction).

A request is answered only once the broker has confirmed the command, so an accepted request is
never lost. If the broker cannot take it, the job is marked failed and the caller is told to
retry (UNAVAILABLE). The retrain worker (retrain_worker.py) runs the jobs.
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
        raise job_not_found(job_id)
    return job


FINISHED = frozenset({RetrainingState.SUCCEEDED, RetrainingState.FAILED})


def job_not_found(job_id: str) -> NotFound:
    return NotFound("JOB_NOT_FOUND", f"No retraining job with id {job_id}.", field="job_id")


async def start_job(
    *, uow: UnitOfWork, job_id: uuid.UUID, clock: Callable[[], datetime]
) -> RetrainingJob | None:
    """Mark the job RUNNING (again, when the worker that ran it died); None when it has
    finished already, so a redelivered command changes nothing. NOT_FOUND if unknown."""
    async with uow:
        job = await uow.retraining_jobs.get(job_id)
        if job is None:
            raise job_not_found(str(job_id))
        if job.state in FINISHED:
            return None
        job.state = RetrainingState.RUNNING
        job.started_at = clock()
        job.error = None
        await uow.commit()
    return job


async def fail_job(
    *, uow: UnitOfWork, job_id: uuid.UUID, clock: Callable[[], datetime], error: str
) -> None:
    """Mark the job FAILED with the reason (a finished job stays as it is)."""
    async with uow:
        job = await uow.retraining_jobs.get(job_id)
        if job is None or job.state in FINISHED:
            return
        job.state = RetrainingState.FAILED
        job.error = error[:2000]
        job.finished_at = clock()
        job.promoted = False
        await uow.commit()
    log.warning("retraining job %s failed: %s", job_id, error)
