"""Users of the REST API: creation, authentication, listing, disabling, and the first admin."""

import logging
from collections.abc import Callable, Sequence

from frequenta_attendance.domain import errors, users
from frequenta_attendance.domain.enums import UserRole
from frequenta_attendance.models import User
from frequenta_attendance.passwords import Passwords
from frequenta_attendance.uow import UnitOfWork

log = logging.getLogger(__name__)


async def create_user(
    *,
    uow: UnitOfWork,
    passwords: Passwords,
    login: str,
    password: str,
    role: UserRole,
    member_id: int,
) -> User:
    member = users.member_of(role, member_id)
    user = User(
        login=users.login(login),
        password_hash=await passwords.hash(users.password(password)),
        role=role,
        member_id=member,
        active=True,
    )
    async with uow:
        if member is not None and await uow.members.get(member) is None:
            raise errors.member_not_found(member)
        if await uow.users.by_login(user.login) is not None:
            raise errors.login_taken(user.login)
        await uow.users.add(user)  # a concurrent creation of the login loses on the index
        await uow.commit()
    log.info("user %s (%s) created with role %s", user.id, user.login, role)
    return user


async def authenticate(*, uow: UnitOfWork, passwords: Passwords, login: str, password: str) -> User:
    """The active user with this login and password; INVALID_CREDENTIALS otherwise, after one
    password verification whatever the reason (unknown login, wrong password, disabled)."""
    async with uow:
        user = await uow.users.by_login(login)
    if user is None:
        await passwords.verify_nothing(password)
        raise errors.invalid_credentials()
    if not await passwords.verify(user.password_hash, password) or not user.active:
        raise errors.invalid_credentials()
    if passwords.needs_rehash(user.password_hash):
        new_hash = await passwords.hash(password)
        async with uow:
            await uow.users.set_password_hash(user.id, new_hash)
            await uow.commit()
        log.info("password hash of user %s upgraded to the current parameters", user.id)
    return user


async def list_users(*, uow: UnitOfWork, include_inactive: bool) -> Sequence[User]:
    async with uow:
        return await uow.users.list(include_inactive=include_inactive)


async def disable_user(*, uow: UnitOfWork, user_id: int) -> User:
    async with uow:
        user = await uow.users.get(user_id, for_update=True)
        if user is None:
            raise errors.user_not_found(user_id)
        if user.active:
            user.active = False
            await uow.commit()
            log.info("user %s (%s) disabled", user.id, user.login)
    return user


async def ensure_first_admin(
    *, uow: Callable[[], UnitOfWork], passwords: Passwords, login: str, password: str
) -> bool:
    """Creates the admin ``login`` when no active admin exists; True if it did. Safe to run by
    every replica at once: the login's unique index lets one insert win, the others do
    nothing."""
    async with uow() as check:
        if await check.users.active_admin_exists():
            return False
    password_hash = await passwords.hash(users.password(password))
    async with uow() as work:
        inserted = await work.users.add_unless_login_taken(
            login=users.login(login), password_hash=password_hash, role=UserRole.ADMIN
        )
        await work.commit()
    if inserted:
        log.info("first admin %r created from the settings", login)
    else:
        log.warning(
            "no active admin, and login %r is already taken (by a disabled user or another "
            "role, or by a replica starting at the same time): first admin not created",
            login,
        )
    return inserted
