"""Churn domain objects <-> protobuf."""

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.churn.v1 import churn_pb2 as pb
from frequenta_churn.ml.explain import Direction
from frequenta_churn.ml.wording import RiskBand
from frequenta_churn.models import RetrainingJob, RetrainingState
from frequenta_churn.registry import ModelView
from frequenta_churn.registry.promotion import PromotionReason
from frequenta_churn.retention.status import ContactStatus, Group, MemberRetention
from frequenta_churn.serving.handlers import AtRiskPage
from frequenta_churn.serving.risk import MemberRisk, headline_value

RETRAINING_STATES = {
    RetrainingState.QUEUED: pb.RETRAINING_STATE_QUEUED,
    RetrainingState.RUNNING: pb.RETRAINING_STATE_RUNNING,
    RetrainingState.SUCCEEDED: pb.RETRAINING_STATE_SUCCEEDED,
    RetrainingState.FAILED: pb.RETRAINING_STATE_FAILED,
}


PROMOTION_REASONS = {
    PromotionReason.FIRST: pb.PROMOTION_REASON_FIRST,
    PromotionReason.BETTER: pb.PROMOTION_REASON_BETTER,
    PromotionReason.FORCED: pb.PROMOTION_REASON_FORCED,
    PromotionReason.ROLLBACK: pb.PROMOTION_REASON_ROLLBACK,
}


BANDS = {
    RiskBand.LOW: pb.RISK_BAND_LOW,
    RiskBand.MEDIUM: pb.RISK_BAND_MEDIUM,
    RiskBand.HIGH: pb.RISK_BAND_HIGH,
}
GROUPS = {Group.CONTROL: pb.RETENTION_GROUP_CONTROL, Group.CONTACT: pb.RETENTION_GROUP_CONTACT}
STATUSES = {
    ContactStatus.CONTROL: pb.CONTACT_STATUS_CONTROL,
    ContactStatus.NOT_CONTACTED: pb.CONTACT_STATUS_NOT_CONTACTED,
    ContactStatus.CONTACTED: pb.CONTACT_STATUS_CONTACTED,
    ContactStatus.CALLBACK_SCHEDULED: pb.CONTACT_STATUS_CALLBACK_SCHEDULED,
}
BANDS_FROM_PROTO = {value: band for band, value in BANDS.items()}
DIRECTIONS = {
    Direction.INCREASES: pb.FACTOR_DIRECTION_INCREASES_RISK,
    Direction.DECREASES: pb.FACTOR_DIRECTION_DECREASES_RISK,
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


def model_metrics(metrics: dict) -> pb.ModelMetrics:
    """From evaluation.Metrics.as_dict() as stored."""
    return pb.ModelMetrics(
        roc_auc=metrics["roc_auc"],
        pr_auc=metrics["pr_auc"],
        brier=metrics["brier"],
        calibration_error=metrics["ece"],
        precision_top_decile=metrics["precision_top_10"],
        lift_top_decile=metrics["lift_top_10"],
        precision_top_5_percent=metrics["precision_top_5"],
        lift_top_5_percent=metrics["lift_top_5"],
        base_rate=metrics["base_rate"],
        calibration_curve=[
            pb.CalibrationBin(
                mean_predicted=b["mean_predicted"],
                observed_rate=b["observed_rate"],
                rows=b["count"],
            )
            for b in metrics.get("reliability") or []
        ],
    )


def model_version(view: ModelView) -> pb.ModelVersion:
    model = view.model
    encoded = pb.ModelVersion(
        version=model.version,
        algorithm=model.algorithm,
        metrics=model_metrics(model.chosen_metrics),
        features=model.feature_schema["feature_names"],
        trained_from=timestamp(model.trained_from),
        trained_until=timestamp(model.trained_until),
        training_rows=model.training_rows,
        holdout_rows=model.holdout_rows,
        positive_rows=model.training_positives + model.holdout_positives,
        horizon_days=model.horizon_days,
        created_at=timestamp(model.created_at),
        serving=view.serving,
        candidates=[
            pb.CandidateMetrics(algorithm=name, metrics=model_metrics(metrics))
            for name, metrics in model.metrics.items()
        ],
        holdout_from=timestamp(model.holdout_from),
        holdout_until=timestamp(model.holdout_until),
        data_until=timestamp(model.data_until),
        members=model.members,
        visits=model.visits,
        cancellations=model.cancellations,
        band_thresholds=pb.RiskBandThresholds(medium=model.band_medium, high=model.band_high),
        parity_max_diff=model.parity_max_diff,
        job_id="" if model.job_id is None else str(model.job_id),
    )
    if view.serving and view.promotion is not None:
        encoded.promoted_at.CopyFrom(timestamp(view.promotion.promoted_at))
        encoded.promotion_reason = PROMOTION_REASONS[PromotionReason(view.promotion.reason)]
    return encoded


def min_band(value: int) -> RiskBand | None:
    """The filter's band; None (every band) for UNSPECIFIED or a value this build does not
    know."""
    return BANDS_FROM_PROTO.get(value)


def churn_risk(risk: MemberRisk) -> pb.ChurnRisk:
    factors = []
    for factor in risk.factors:
        feature, value = headline_value(factor)
        factors.append(
            pb.RiskFactor(
                factor=factor.code,
                feature=feature,
                value=value,
                direction=DIRECTIONS[factor.direction],
                weight=factor.weight,
                description=factor.sentence,
            )
        )
    return pb.ChurnRisk(
        member_id=risk.member_id,
        probability=risk.probability,
        band=BANDS[risk.band],
        factors=factors,
        recommendations=list(risk.recommendations),
        model_version=risk.model_version,
        horizon_days=risk.horizon_days,
        computed_at=timestamp(risk.computed_at),
        plan_code=risk.plan_code,
        limited_history=risk.limited_history,
        last_visit_at=timestamp(risk.last_visit_at),
        tenure_days=risk.tenure_days,
        recent_visits_per_week=risk.recent_visits_per_week,
        usual_visits_per_week=risk.usual_visits_per_week,
    )


def member_retention(state: MemberRetention) -> pb.MemberRetention:
    return pb.MemberRetention(
        member_id=state.member_id,
        group=GROUPS.get(state.group, pb.RETENTION_GROUP_UNSPECIFIED),
        contact_status=STATUSES[state.status],
        last_contact_at=timestamp(state.last_contact_at),
    )


def at_risk_page(page: AtRiskPage) -> pb.ListAtRiskMembersResponse:
    return pb.ListAtRiskMembersResponse(
        members=[churn_risk(risk) for risk in page.risks],
        total=page.total,
        model_version=page.model_version,
        computed_at=timestamp(page.computed_at),
        retention=[member_retention(state) for state in page.retention],
        daily_capacity=page.cover.capacity,
        expected_cancellations=page.cover.expected,
        expected_cancellations_within_capacity=page.cover.expected_within,
        capacity_coverage=page.cover.coverage,
    )
