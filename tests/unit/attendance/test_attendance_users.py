"""The authentication use case with a fake unit of work and a counting password hasher: every
refusal costs exactly one verification (no timing tells an unknown login from a wrong password),
an outdated hash is replaced after a successful login, and the first admin is made only when no
active admin exists."""

from dataclasses import dataclass, field

import pytest
from argon2 import PasswordHasher

from frequenta_attendance.domain.enums import UserRole
from frequenta_attendance.handlers.users import authenticate, ensure_first_admin
from frequenta_attendance.models import User
from frequenta_attendance.passwords import Passwords
from frequenta_kit.errors import Unauthenticated

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class CountingPasswords(Passwords):
    def __init__(self, hasher: PasswordHasher = FAST) -> None:
        super().__init__(hasher)
        self.verifications = 0

    async def verify(self, stored_hash: str, password: str) -> bool:
        self.verifications += 1
        return await super().verify(stored_hash, password)


@dataclass
class FakeUsers:
    by_id: dict[int, User] = field(default_factory=dict)
    inserted: list[str] = field(default_factory=list)

    async def by_login(self, login: str) -> User | None:
        return next((u for u in self.by_id.values() if u.login.lower() == login.lower()), None)

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        return self.by_id.get(user_id)

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.by_id[user_id].password_hash = password_hash

    async def active_admin_exists(self) -> bool:
        return any(u.role is UserRole.ADMIN and u.active for u in self.by_id.values())

    async def add_unless_login_taken(self, *, login: str, password_hash: str, role) -> bool:
        if await self.by_login(login) is not None:
            return False
        new_id = len(self.by_id) + 1
        self.by_id[new_id] = User(
            id=new_id, login=login, password_hash=password_hash, role=role, active=True
        )
        self.inserted.append(login)
        return True


class FakeUnitOfWork:
    def __init__(self, users: FakeUsers) -> None:
        self.users = users
        self.commits = 0

    async def __aenter__(self) -> "FakeUnitOfWork":
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1


def user(password: str, *, active: bool = True, hasher: PasswordHasher = FAST) -> User:
    return User(
        id=1,
        login="Recepcao",
        password_hash=hasher.hash(password),
        role=UserRole.STAFF,
        active=active,
    )


@pytest.mark.parametrize(
    ("stored", "login", "password"),
    [
        (None, "nobody", "whatever"),
        (user("right password"), "recepcao", "wrong password"),
        (user("right password", active=False), "recepcao", "right password"),
    ],
    ids=["unknown login", "wrong password", "disabled user"],
)
async def test_every_refusal_costs_one_verification(stored, login, password):
    users = FakeUsers({1: stored} if stored else {})
    passwords = CountingPasswords()
    with pytest.raises(Unauthenticated) as refused:
        await authenticate(
            uow=FakeUnitOfWork(users), passwords=passwords, login=login, password=password
        )
    assert (refused.value.code, refused.value.message) == (
        "INVALID_CREDENTIALS",
        "wrong login or password",
    )
    assert passwords.verifications == 1


async def test_a_current_hash_is_kept_and_an_outdated_one_replaced():
    passwords = CountingPasswords()
    current = user("right password")
    users = FakeUsers({1: current})
    found = await authenticate(
        uow=FakeUnitOfWork(users), passwords=passwords, login="RECEPCAO", password="right password"
    )
    assert found is current and users.by_id[1].password_hash == current.password_hash

    stronger = CountingPasswords(PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    uow = FakeUnitOfWork(users)
    old_hash = current.password_hash
    await authenticate(uow=uow, passwords=stronger, login="recepcao", password="right password")
    assert users.by_id[1].password_hash != old_hash and uow.commits == 1
    assert not stronger.needs_rehash(users.by_id[1].password_hash)


async def test_the_first_admin_only_when_no_active_admin_exists():
    users = FakeUsers()
    passwords = CountingPasswords()

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(users)

    assert await ensure_first_admin(
        uow=uow, passwords=passwords, login="admin", password="a long password"
    )
    assert not await ensure_first_admin(
        uow=uow, passwords=passwords, login="boss", password="a long password"
    )
    assert users.inserted == ["admin"]
    users.by_id[1].active = False  # the only admin disabled: a new start makes the new login
    assert await ensure_first_admin(
        uow=uow, passwords=passwords, login="boss", password="a long password"
    )
    assert users.inserted == ["admin", "boss"]
