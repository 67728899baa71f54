"""Retention domain objects <-> protobuf."""

from datetime import date

from frequenta.churn.v1 import churn_pb2 as pb
from frequenta_churn.mappers import timestamp
from frequenta_churn.ml.wording import RiskBand
from frequenta_churn.models import Contact, RiskHistory
from frequenta_churn.retention.effect import Effect, GroupOutcome
from frequenta_churn.retention.status import Channel, NewContact, Outcome
from frequenta_churn.serving.store import BAND_CODES
from frequenta_kit.errors import InvalidInput

CHANNELS = {
    Channel.PHONE: pb.CONTACT_CHANNEL_PHONE,
    Channel.WHATSAPP: pb.CONTACT_CHANNEL_WHATSAPP,
    Channel.EMAIL: pb.CONTACT_CHANNEL_EMAIL,
    Channel.SMS: pb.CONTACT_CHANNEL_SMS,
    Channel.IN_PERSON: pb.CONTACT_CHANNEL_IN_PERSON,
}
OUTCOMES = {
    Outcome.NO_ANSWER: pb.CONTACT_OUTCOME_NO_ANSWER,
    Outcome.TALKED: pb.CONTACT_OUTCOME_TALKED,
    Outcome.CALLBACK_SCHEDULED: pb.CONTACT_OUTCOME_CALLBACK_SCHEDULED,
    Outcome.REFUSED: pb.CONTACT_OUTCOME_REFUSED,
    Outcome.CANCELLATION_AVERTED: pb.CONTACT_OUTCOME_CANCELLATION_AVERTED,
}
CHANNELS_FROM_PROTO = {value: channel for channel, value in CHANNELS.items()}
OUTCOMES_FROM_PROTO = {value: outcome for outcome, value in OUTCOMES.items()}
BANDS_BY_CODE = {code: band for band, code in BAND_CODES.items()}
PROTO_BANDS = {
    RiskBand.LOW: pb.RISK_BAND_LOW,
    RiskBand.MEDIUM: pb.RISK_BAND_MEDIUM,
    RiskBand.HIGH: pb.RISK_BAND_HIGH,
}


def new_contact(request: pb.RecordContactRequest) -> NewContact:
    channel = CHANNELS_FROM_PROTO.get(request.channel)
    if channel is None:
        raise InvalidInput("INVALID_CHANNEL", "channel is required", field="channel")
    outcome = OUTCOMES_FROM_PROTO.get(request.outcome)
    if outcome is None:
        raise InvalidInput("INVALID_OUTCOME", "outcome is required", field="outcome")
    try:
        next_on = date.fromisoformat(request.next_step_on) if request.next_step_on else None
    except ValueError:
        raise InvalidInput(
            "INVALID_DATE", "next_step_on must be a date YYYY-MM-DD", field="next_step_on"
        ) from None
    return NewContact(
        member_id=request.member_id,
        channel=channel,
        outcome=outcome,
        note=request.note or None,
        next_step=request.next_step or None,
        next_step_on=next_on,
        author=request.author,
        off_protocol=request.off_protocol,
    )


def contact(stored: Contact) -> pb.Contact:
    return pb.Contact(
        id=stored.id,
        member_id=stored.member_id,
        channel=CHANNELS[Channel(stored.channel)],
        outcome=OUTCOMES[Outcome(stored.outcome)],
        note=stored.note or "",
        next_step=stored.next_step or "",
        next_step_on=stored.next_step_on.isoformat() if stored.next_step_on else "",
        author=stored.author,
        off_protocol=stored.off_protocol,
        recorded_at=timestamp(stored.recorded_at),
    )


def daily_risk(row: RiskHistory) -> pb.DailyRisk:
    return pb.DailyRisk(
        day=row.day.isoformat(),
        probability=row.probability,
        band=PROTO_BANDS[BANDS_BY_CODE[row.band]],
        model_version=row.model_version,
    )


def group_outcome(group: GroupOutcome) -> pb.GroupOutcome:
    return pb.GroupOutcome(
        members=group.members,
        cancellations=group.cancellations,
        cancellation_rate=group.rate,
        ci95_lower=group.ci.lower,
        ci95_upper=group.ci.upper,
        in_follow_up=group.in_follow_up,
    )


def retention_effect(effect: Effect) -> pb.GetRetentionEffectResponse:
    return pb.GetRetentionEffectResponse(
        contact=group_outcome(effect.contact),
        control=group_outcome(effect.control),
        difference=effect.difference,
        difference_ci95_lower=effect.ci.lower,
        difference_ci95_upper=effect.ci.upper,
        contacted=effect.contacted,
        follow_up_days=effect.follow_up_days,
        conclusion=effect.conclusion,
        control_share=effect.control_share,
    )
