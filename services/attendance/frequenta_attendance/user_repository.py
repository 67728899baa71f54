"""Persistence of the REST API's users. Never commits (the unit of work does)."""

from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta_attendance.domain import errors
from frequenta_attendance.domain.enums import UserRole
from frequenta_attendance.models import USER_LOGIN_UNIQUE, User
from frequenta_attendance.repository import _flush


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        return await self._session.get(User, user_id, with_for_update=for_update)

    async def by_login(self, login: str) -> User | None:
        """The user whose login equals ``login`` ignoring case."""
        query = select(User).where(func.lower(User.login) == login.lower())
        return (await self._session.scalars(query)).one_or_none()

    async def list(self, *, include_inactive: bool) -> Sequence[User]:
        query = select(User).order_by(User.id)
        if not include_inactive:
            query = query.where(User.active)
        return (await self._session.scalars(query)).all()

    async def of_member(self, member_id: int, *, for_update: bool = False) -> Sequence[User]:
        """The users (role ``aluno``) of one member."""
        query = select(User).where(User.member_id == member_id).order_by(User.id)
        if for_update:
            query = query.with_for_update()
        return (await self._session.scalars(query)).all()

    async def add(self, user: User) -> None:
        self._session.add(user)
        if await _flush(self._session) == USER_LOGIN_UNIQUE:
            raise errors.login_taken(user.login)

    async def active_admin_exists(self) -> bool:
        query = select(User.id).where(User.role == UserRole.ADMIN, User.active).limit(1)
        return (await self._session.scalar(query)) is not None

    async def add_unless_login_taken(
        self, *, login: str, password_hash: str, role: UserRole
    ) -> bool:
        """Inserts the user unless the login (any case) is taken, also by a concurrent
        transaction; True when inserted."""
        statement = (
            insert(User)
            .values(login=login, password_hash=password_hash, role=role)
            .on_conflict_do_nothing(index_elements=[text("lower(login)")])
            .returning(User.id)
        )
        return (await self._session.scalar(statement)) is not None

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        user = await self.get(user_id)
        if user is not None:
            user.password_hash = password_hash
            await self._session.flush()
