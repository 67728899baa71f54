"""``python -m frequenta_churn train [--if-none] [--timeout S]``: request a retraining through
the queue, exactly as RequestRetraining does (so a retrain worker trains it from attendance's
export stream), and wait for its job with a deadline, printing its progress. ``make up`` runs
it with ``--if-none`` after seeding the demo gym: nothing happens while a model serves.

Exit status 0 when the job succeeded (or, with --if-none, a model serves already), 1 when it
failed or did not finish in time (the job itself goes on).
"""

import asyncio
import time
import uuid
from collections.abc import Callable

from frequenta_churn.bootstrap import retraining_sender, system_clock
from frequenta_churn.models import RetrainingJob, RetrainingState
from frequenta_churn.registry import ModelRegistry
from frequenta_churn.retraining import FINISHED, get_retraining_job, request_retraining
from frequenta_churn.settings import ChurnSettings
from frequenta_churn.uow import SqlAlchemyUnitOfWork, UnitOfWork
from frequenta_kit.database import create_engine, create_session_factory
from frequenta_kit.errors import Unavailable
from frequenta_kit.publisher import WorkPublisher

POLL_SECONDS = 0.5
REPORT_EVERY_SECONDS = 15.0


def say(line: str) -> None:
    print(line, flush=True)


async def wait_for(
    uow: Callable[[], UnitOfWork], job_id: uuid.UUID, *, within: float, started: float
) -> RetrainingJob | None:
    """The job once finished; None after ``within`` seconds from ``started``."""
    state, reported = None, started
    deadline = started + within
    while True:
        job = await get_retraining_job(uow=uow(), job_id=str(job_id))
        elapsed = time.monotonic() - started
        if job.state != state or time.monotonic() - reported >= REPORT_EVERY_SECONDS:
            state, reported = job.state, time.monotonic()
            say(f"  {elapsed:5.0f}s  job {job_id}: {RetrainingState(job.state).name.lower()}")
        if job.state in FINISHED:
            return job
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(POLL_SECONDS)


async def train(settings: ChurnSettings, *, if_none: bool, wait: float) -> int:
    engine = create_engine(settings.churn_database_url, pool_size=1)
    publisher = WorkPublisher(settings.rabbitmq_url, settings.topology)
    session_factory = create_session_factory(engine)

    def uow() -> UnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    try:
        if if_none and (serving := await ModelRegistry(uow, system_clock).serving_now()):
            say(f"churn model {serving.version} is serving: not training")
            return 0
        started = time.monotonic()
        try:
            job = await request_retraining(
                uow=uow(),
                send=retraining_sender(publisher),
                clock=system_clock,
                promote_if_better=True,
            )
        except Unavailable as error:
            say(f"no retraining queued: {error.message}")
            return 1
        say(f"retraining job {job.id} queued; a retrain worker trains it from attendance's export")
        done = await wait_for(uow, job.id, within=wait, started=started)
    finally:
        await publisher.close()
        await engine.dispose()
    elapsed = time.monotonic() - started
    if done is None:
        say(f"job {job.id} had not finished after {wait:.0f}s; it goes on in the worker")
        return 1
    if done.state == RetrainingState.FAILED:
        say(f"job {job.id} failed after {elapsed:.1f}s: {done.error}")
        return 1
    serving = "serving" if done.promoted else "registered, not promoted"
    say(f"model {done.model_version} trained in {elapsed:.1f}s ({serving})")
    return 0
