"""Rules of a new user: login shape, password length, and a member's user naming the member."""

import re

from frequenta_attendance.domain.enums import UserRole
from frequenta_attendance.domain.errors import invalid

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_LOGIN = re.compile(r"[A-Za-z0-9._@+-]{3,100}")


def login(value: str) -> str:
    """The login as given, if it has 3 to 100 letters, digits or . _ @ + -."""
    if not _LOGIN.fullmatch(value):
        raise invalid("login", "login must have 3 to 100 characters: letters, digits and . _ @ + -")
    return value


def password(value: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(value) <= MAX_PASSWORD_LENGTH:
        raise invalid(
            "password",
            f"password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
        )
    return value


def member_of(role: UserRole, member_id: int) -> int | None:
    """The member a user of ``role`` names: required for a member's user, refused otherwise."""
    if role is UserRole.MEMBER:
        if member_id <= 0:
            raise invalid("member_id", "a user with role aluno needs the member's id")
        return member_id
    if member_id:
        raise invalid("member_id", f"only a user with role aluno names a member, not {role}")
    return None
