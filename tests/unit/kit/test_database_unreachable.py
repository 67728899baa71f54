"""Which database errors mean "not reachable now" (retry) and which are the caller's problem."""

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from frequenta_kit.database import database_unreachable


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _dbapi(sqlstate: str) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("SELECT 1", {}, _Orig(sqlstate))


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(),
        sa_exc.TimeoutError(),
        _dbapi("08006"),  # connection failure
        _dbapi("53300"),  # too many connections
        _dbapi("57P01"),  # admin shutdown
        _dbapi("3D000"),  # no such database
        asyncpg.exceptions.CannotConnectNowError(),
    ],
)
def test_unreachable(error: BaseException) -> None:
    assert database_unreachable(error)


@pytest.mark.parametrize(
    "error", [_dbapi("23505"), _dbapi("40P01"), ValueError("bug"), asyncpg.UniqueViolationError()]
)
def test_not_unreachable(error: BaseException) -> None:
    assert not database_unreachable(error)


def test_extra_states_count_when_asked() -> None:
    assert database_unreachable(_dbapi("40P01"), also=("40P01",))
