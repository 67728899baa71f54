"""The retention use cases: record and list contacts, a member's risk over time, the control
group's draw at each snapshot, each listed member's retention state, and the effect report.
No protobuf."""

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from frequenta_churn.ml.wording import RiskBand
from frequenta_churn.models import Contact, RiskHistory
from frequenta_churn.retention.assignment import draw_groups
from frequenta_churn.retention.effect import Effect, measure
from frequenta_churn.retention.policy import RetentionPolicy
from frequenta_churn.retention.status import (
    Group,
    MemberRetention,
    NewContact,
    contact_status,
)
from frequenta_churn.serving.snapshot import BAND_ORDER, RiskSnapshot
from frequenta_churn.uow import UnitOfWork
from frequenta_kit.errors import Conflict, InvalidInput

HIGH = BAND_ORDER.index(RiskBand.HIGH)
MAX_TEXT = 2000
MAX_HISTORY_DAYS = 3660
DEFAULT_HISTORY_DAYS = 365


def control_group(member_id: int) -> Conflict:
    return Conflict(
        "CONTROL_GROUP",
        f"aluno no grupo de controle: não deve ser contatado (member {member_id} was drawn into "
        "the control group, left uncontacted on purpose to measure whether contacts help). To "
        "record a contact anyway, send fora_do_protocolo: true.",
        field="member_id",
    )


def _checked(contact: NewContact) -> None:
    if contact.member_id < 1:
        raise InvalidInput("INVALID_MEMBER", "member_id must be 1 or more", field="member_id")
    if not contact.author.strip():
        raise InvalidInput("MISSING_AUTHOR", "the contact needs its author", field="author")
    for field, value in (("note", contact.note), ("next_step", contact.next_step)):
        if value is not None and "\x00" in value:
            raise InvalidInput("TEXT_WITH_NUL", f"{field} may not contain NUL", field=field)
        if value is not None and len(value) > MAX_TEXT:
            raise InvalidInput(
                "TEXT_TOO_LONG",
                f"{field} has {len(value)} characters; at most {MAX_TEXT}",
                field=field,
            )


async def record_contact(
    *, uow: UnitOfWork, contact: NewContact, clock: Callable[[], datetime]
) -> Contact:
    """Store a contact; a control member's only when marked off-protocol."""
    _checked(contact)
    async with uow:
        group = await uow.retention.group_of(contact.member_id)
        if group is Group.CONTROL and not contact.off_protocol:
            raise control_group(contact.member_id)
        stored = await uow.retention.add_contact(
            Contact(
                member_id=contact.member_id,
                channel=str(contact.channel),
                outcome=str(contact.outcome),
                note=contact.note or None,
                next_step=contact.next_step or None,
                next_step_on=contact.next_step_on,
                author=contact.author.strip(),
                off_protocol=contact.off_protocol,
                recorded_at=clock(),
            )
        )
        await uow.commit()
    return stored


async def list_contacts(*, uow: UnitOfWork, member_id: int) -> list[Contact]:
    async with uow:
        return await uow.retention.contacts(member_id)


async def risk_history(
    *, uow: UnitOfWork, member_id: int, days: int, today: date
) -> list[RiskHistory]:
    """The member's daily scores over the last ``days`` local days (0 means 365)."""
    if days < 0 or days > MAX_HISTORY_DAYS:
        raise InvalidInput(
            "INVALID_DAYS",
            f"days must be between 1 and {MAX_HISTORY_DAYS} (0 means {DEFAULT_HISTORY_DAYS})",
            field="days",
        )
    since = today - timedelta(days=(days or DEFAULT_HISTORY_DAYS) - 1)
    async with uow:
        return await uow.risks.history(member_id, since)


async def assign_groups(
    *, uow: UnitOfWork, snapshot: RiskSnapshot, policy: RetentionPolicy
) -> list[int]:
    """Draw the members at band high of ``snapshot`` not drawn before; the members drawn."""
    high = np.flatnonzero(snapshot.bands == HIGH)
    if high.size == 0:
        return []
    probability = dict(
        zip(snapshot.member_ids[high].tolist(), snapshot.probabilities[high].tolist(), strict=True)
    )
    async with uow:
        new = await uow.retention.unassigned(sorted(probability))
        groups = draw_groups(new, seed=policy.seed, control_share=policy.control_share)
        added = await uow.retention.assign(
            groups,
            {i: probability[i] for i in new},
            at=snapshot.computed_at,
            version=snapshot.model.version,
        )
        await uow.commit()
    return added


async def retention_states(
    uow: UnitOfWork, member_ids: Sequence[int], now: datetime, policy: RetentionPolicy
) -> list[MemberRetention]:
    """Each member's group and contact status, in the order given (inside an open ``uow``)."""
    states = await uow.retention.states(member_ids)
    answers = []
    for member_id in member_ids:
        group, last_at, last_outcome = states.get(member_id, (None, None, None))
        status = contact_status(group, last_at, last_outcome, now, policy.contact_window_days)
        answers.append(MemberRetention(member_id, group, status, last_at))
    return answers


async def retention_effect(
    *, uow: UnitOfWork, clock: Callable[[], datetime], policy: RetentionPolicy
) -> Effect:
    async with uow:
        counts, contacted = await uow.retention.effect_counts(clock(), policy.follow_up_days)
    return measure(
        counts[Group.CONTACT],
        counts[Group.CONTROL],
        contacted=contacted,
        follow_up_days=policy.follow_up_days,
        control_share=policy.control_share,
    )


def local_today(clock: Callable[[], datetime], tz: ZoneInfo) -> date:
    return clock().astimezone(tz).date()
