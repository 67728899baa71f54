"""The session lifecycle every service's unit of work shares: one transaction per ``async with``,
rolled back unless committed, and a database that cannot be reached surfacing as the domain error
Unavailable (DATABASE_UNAVAILABLE), which clients may retry. Subclasses only attach their
repositories to the session in :meth:`SessionUnitOfWork._bind`."""

import logging
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frequenta_kit.database import database_unreachable
from frequenta_kit.errors import Unavailable

log = logging.getLogger(__name__)


class SessionUnitOfWork:
    # Named in the Unavailable message, e.g. "attendance".
    database_label = "the"

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None

    def _bind(self, session: AsyncSession) -> None:
        """Attach the repositories of this unit of work to ``session``."""

    def _unavailable(self, cause: BaseException) -> Unavailable:
        log.warning("%s database unreachable: %r", self.database_label, cause)
        return Unavailable(
            "DATABASE_UNAVAILABLE",
            f"the {self.database_label} database cannot be reached; retry shortly",
        )

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use")
        self._session = self._session_factory()
        self._bind(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            # Ends the transaction, rolling back whatever was not committed. Unlike rollback(),
            # it leaves the loaded objects readable (detached), which is what use cases return.
            await session.close()
        except Exception as close_error:
            if exc is not None:
                log.debug("closing the session after %r also failed: %r", exc, close_error)
            elif database_unreachable(close_error):
                raise self._unavailable(close_error) from close_error
            else:
                raise
        if exc is not None and database_unreachable(exc):
            raise self._unavailable(exc) from exc

    async def commit(self) -> None:
        if self._session is None:
            raise RuntimeError("commit outside 'async with uow'")
        await self._session.commit()
