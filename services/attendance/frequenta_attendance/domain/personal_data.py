"""Erasure of a member's personal data on request (LGPD; docs/personal-data.md): what replaces
each personal field. Pure: the use case loads, locks and stores the member."""

from datetime import date, datetime
from typing import Protocol

from frequenta_attendance.domain import errors

MAX_ERASURE_REASON = 500
# A reserved top-level domain (RFC 2606): never deliverable, and refused by registration's
# e-mail validation, so no member can ever own a placeholder address.
PLACEHOLDER_EMAIL_DOMAIN = "dados-removidos.invalid"


class PersonalFields(Protocol):
    """The member fields an erasure touches."""

    id: int
    name: str
    email: str
    phone: str | None
    birth_date: date | None
    cancellation_note: str | None
    personal_data_erased_at: datetime | None
    erasure_reason: str | None


def placeholder_name(member_id: int) -> str:
    return f"Titular removido #{member_id}"


def placeholder_email(member_id: int) -> str:
    """Unique (one per member id), so the unique index on e-mails holds."""
    return f"titular-removido-{member_id}@{PLACEHOLDER_EMAIL_DOMAIN}"


def erase(member: PersonalFields, *, erased_at: datetime, reason: str | None) -> None:
    """Replace every personal field of ``member``; the plan, dates, cancellation reason code and
    visits are not personal data and stay. The free-text cancellation note goes too: staff may
    have written anything in it."""
    member.name = placeholder_name(member.id)
    member.email = placeholder_email(member.id)
    member.phone = None
    member.birth_date = None
    member.cancellation_note = None
    member.personal_data_erased_at = erased_at
    member.erasure_reason = reason


class MemberLogin(Protocol):
    """A REST API user of the member (role ``aluno``): its login may be personal data."""

    id: int
    login: str
    active: bool


def placeholder_login(member_id: int, user_id: int) -> str:
    """Unique per user, and no e-mail or name in it."""
    return f"titular-removido-{member_id}-{user_id}"


def close_login(user: MemberLogin, *, member_id: int) -> None:
    """The member's own user is disabled and its login (often the member's e-mail or name)
    replaced: nobody signs in as an erased member any more."""
    user.login = placeholder_login(member_id, user.id)
    user.active = False


class Erased(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def personal_data_erased_at(self) -> datetime | None: ...


def check_note_allowed(member: Erased, note: str | None) -> None:
    """No new free text is stored about a member whose personal data was erased."""
    if note and member.personal_data_erased_at is not None:
        raise errors.note_after_erasure(member.id)
