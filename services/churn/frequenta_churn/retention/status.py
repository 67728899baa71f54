"""The words of retention work and each member's contact status (pure).

The enums' values are the codes stored in churn's database (and shown by the REST API)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum


class Group(StrEnum):
    CONTROL = "controle"  # left uncontacted on purpose
    CONTACT = "contato"  # called by the retention team


class ContactStatus(StrEnum):
    CONTROL = "controle"
    NOT_CONTACTED = "sem_contato"
    CONTACTED = "contatado"
    CALLBACK_SCHEDULED = "retorno_agendado"


class Channel(StrEnum):
    PHONE = "telefone"
    WHATSAPP = "whatsapp"
    EMAIL = "email"
    SMS = "sms"
    IN_PERSON = "presencial"


class Outcome(StrEnum):
    NO_ANSWER = "sem_resposta"
    TALKED = "conversou"
    CALLBACK_SCHEDULED = "retorno_agendado"
    REFUSED = "recusou"
    CANCELLATION_AVERTED = "cancelamento_evitado"


@dataclass(frozen=True)
class NewContact:
    member_id: int
    channel: Channel
    outcome: Outcome
    note: str | None
    next_step: str | None
    next_step_on: date | None
    author: str
    off_protocol: bool


@dataclass(frozen=True)
class MemberRetention:
    """A member's retention state next to their risk."""

    member_id: int
    group: Group | None  # None: never drawn (never seen at band high)
    status: ContactStatus
    last_contact_at: datetime | None


def contact_status(
    group: Group | None,
    last_contact_at: datetime | None,
    last_outcome: Outcome | None,
    now: datetime,
    window_days: int,
) -> ContactStatus:
    """Control members are `controle` whatever was recorded (an off-protocol contact included);
    the others are contacted when their latest contact is within ``window_days`` of ``now``,
    `retorno_agendado` when that contact scheduled a call back."""
    if group is Group.CONTROL:
        return ContactStatus.CONTROL
    if last_contact_at is None or last_contact_at < now - timedelta(days=window_days):
        return ContactStatus.NOT_CONTACTED
    if last_outcome is Outcome.CALLBACK_SCHEDULED:
        return ContactStatus.CALLBACK_SCHEDULED
    return ContactStatus.CONTACTED
