"""Churn domain objects <-> protobuf."""

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.churn.v1 import churn_pb2 as pb
from frequenta_churn.models import RetrainingJob, RetrainingState

RETRAINING_STATES = {
    RetrainingState.QUEUED: pb.RETRAINING_STATE_QUEUED,
    RetrainingState.RUNNING: pb.RETRAINING_STATE_RUNNING,
    RetrainingState.SUCCEEDED: pb.RETRAINING_STATE_SUCCEEDED,
    RetrainingState.FAILED: pb.RETRAINING_STATE_FAILED,
}


def timestamp(instant: datetime | None) -> Timestamp | None:
    if instant is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def retraining_job(job: RetrainingJob) -> pb.RetrainingJob:
    return pb.RetrainingJob(
        job_id=str(job.id),
        state=RETRAINING_STATES[RetrainingState(job.state)],
        requested_at=timestamp(job.requested_at),
        started_at=timestamp(job.started_at),
        finished_at=timestamp(job.finished_at),
        model_version=job.model_version or "",
        promoted=job.promoted,
        error=job.error or "",
    )


def retrain_command(job: RetrainingJob) -> pb.RetrainModelCommand:
    return pb.RetrainModelCommand(
        job_id=str(job.id),
        promote_if_better=job.promote_if_better,
        requested_at=timestamp(job.requested_at),
    )
