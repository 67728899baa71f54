"""UserService over gRPC on real PostgreSQL: users are created, authenticated (argon2id, timing-
safe, rehashed when the parameters change), listed and disabled; the first admin is created
once however many replicas start at the same time."""

import asyncio
import uuid

import grpc
import pytest
from argon2 import PasswordHasher
from attendance_support import assert_error, rpc_error
from integration_support import engine_of, own_database
from sqlalchemy import text

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import UserServiceStub
from frequenta_attendance.bootstrap import unit_of_work_factory
from frequenta_attendance.handlers.users import ensure_first_admin
from frequenta_attendance.passwords import Passwords
from frequenta_db.attendance import init_attendance_database

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def users(attendance_channel: grpc.aio.Channel) -> UserServiceStub:
    return UserServiceStub(attendance_channel)


def unique_login() -> str:
    return f"User.{uuid.uuid4().hex[:10]}"


async def create(users: UserServiceStub, role=pb.USER_ROLE_STAFF, **fields) -> pb.User:
    request = pb.CreateUserRequest(
        login=fields.pop("login", unique_login()),
        password=fields.pop("password", PASSWORD),
        role=role,
        **fields,
    )
    return (await users.CreateUser(request)).user


async def test_a_created_user_authenticates_with_its_password_in_any_case_of_login(users):
    created = await create(users)
    assert (created.role, created.member_id, created.active) == (pb.USER_ROLE_STAFF, 0, True)
    assert created.id > 0 and created.created_at.seconds > 0
    for login in (created.login, created.login.upper(), created.login.lower()):
        found = await users.Authenticate(pb.AuthenticateRequest(login=login, password=PASSWORD))
        assert found.user == created


async def test_only_a_hash_is_stored_and_it_is_argon2id(users, attendance_engine):
    created = await create(users)
    async with attendance_engine.connect() as connection:
        stored = await connection.scalar(
            text("SELECT senha_hash FROM usuarios WHERE id = :id"), {"id": created.id}
        )
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.parametrize("case", ["wrong password", "unknown login", "disabled user"])
async def test_bad_credentials_are_refused_alike(users, case):
    created = await create(users)
    login, password = created.login, PASSWORD
    if case == "wrong password":
        password = "not the password"
    elif case == "unknown login":
        login = unique_login()
    else:
        await users.DisableUser(pb.DisableUserRequest(user_id=created.id))
    error = await rpc_error(
        users.Authenticate(pb.AuthenticateRequest(login=login, password=password))
    )
    assert_error(error, grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")
    assert error.message == "wrong login or password"


async def test_a_login_is_unique_ignoring_case(users):
    created = await create(users)
    error = await rpc_error(create(users, login=created.login.swapcase()))
    assert_error(error, grpc.StatusCode.ALREADY_EXISTS, "LOGIN_ALREADY_EXISTS", "login")


async def test_a_member_user_names_an_existing_member_and_only_it_does(users, register_member):
    member = await register_member()
    created = await create(users, role=pb.USER_ROLE_MEMBER, member_id=member.id)
    assert (created.role, created.member_id) == (pb.USER_ROLE_MEMBER, member.id)

    missing = await rpc_error(create(users, role=pb.USER_ROLE_MEMBER))
    assert_error(missing, grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", "member_id")
    unknown = await rpc_error(create(users, role=pb.USER_ROLE_MEMBER, member_id=2**62))
    assert_error(unknown, grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND", "member_id")
    staff = await rpc_error(create(users, role=pb.USER_ROLE_TURNSTILE, member_id=member.id))
    assert_error(staff, grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", "member_id")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"password": "short"}, "password"),
        ({"login": "a b"}, "login"),
        ({"login": "x"}, "login"),
        ({"role": pb.USER_ROLE_UNSPECIFIED}, "role"),
        ({"role": 99}, "role"),
    ],
)
async def test_invalid_users_are_refused(users, fields, field):
    error = await rpc_error(create(users, **fields))
    assert_error(error, grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", field)


async def test_list_and_disable(users):
    created = await create(users, role=pb.USER_ROLE_TURNSTILE)
    listed = (await users.ListUsers(pb.ListUsersRequest())).users
    assert created in listed
    disabled = (await users.DisableUser(pb.DisableUserRequest(user_id=created.id))).user
    assert not disabled.active
    again = (await users.DisableUser(pb.DisableUserRequest(user_id=created.id))).user
    assert again == disabled
    assert created.id not in {u.id for u in (await users.ListUsers(pb.ListUsersRequest())).users}
    everyone = (await users.ListUsers(pb.ListUsersRequest(include_inactive=True))).users
    assert disabled in everyone
    error = await rpc_error(users.DisableUser(pb.DisableUserRequest(user_id=2**62)))
    assert_error(error, grpc.StatusCode.NOT_FOUND, "USER_NOT_FOUND", "user_id")


async def test_a_hash_made_with_old_parameters_is_replaced_at_the_next_login(
    users, attendance_engine
):
    created = await create(users)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    async with attendance_engine.begin() as connection:
        await connection.execute(
            text("UPDATE usuarios SET senha_hash = :h WHERE id = :id"),
            {"h": weak, "id": created.id},
        )
    await users.Authenticate(pb.AuthenticateRequest(login=created.login, password=PASSWORD))
    async with attendance_engine.connect() as connection:
        stored = await connection.scalar(
            text("SELECT senha_hash FROM usuarios WHERE id = :id"), {"id": created.id}
        )
    assert stored != weak
    assert not PasswordHasher().check_needs_rehash(stored)
    assert PasswordHasher().verify(stored, PASSWORD)


async def test_the_first_admin_is_created_once_by_replicas_starting_together():
    async with (
        own_database("frequenta_test_admin", init_attendance_database) as url,
        engine_of(url) as engine,
    ):
        uow = unit_of_work_factory(engine)
        passwords = Passwords()

        async def start() -> bool:
            return await ensure_first_admin(
                uow=uow, passwords=passwords, login="admin", password="first admin password"
            )

        assert sorted(await asyncio.gather(start(), start(), start())) == [False, False, True]
        assert await start() is False  # a later start finds the active admin
        async with engine.connect() as connection:
            admins = (await connection.execute(text("SELECT login, papel FROM usuarios"))).all()
        assert admins == [("admin", "admin")]
        async with uow() as check:
            admin = await check.users.by_login("ADMIN")
        assert admin is not None and await passwords.verify(
            admin.password_hash, "first admin password"
        )


async def test_an_erased_members_login_is_disabled_and_replaced(users, attendance, register_member):
    """The login of a member's user is often their e-mail or name: erasing the member's
    personal data (LGPD) disables the user and replaces its login in the same transaction."""
    member = await register_member()
    login = f"ana.souza.{uuid.uuid4().hex[:6]}@example.com"
    created = await create(users, role=pb.USER_ROLE_MEMBER, member_id=member.id, login=login)

    await attendance.EraseMemberPersonalData(pb.EraseMemberPersonalDataRequest(member_id=member.id))

    listed = await users.ListUsers(pb.ListUsersRequest(include_inactive=True))
    (after,) = [user for user in listed.users if user.id == created.id]
    assert after.login == f"titular-removido-{member.id}-{created.id}"
    assert not after.active
    error = await rpc_error(
        users.Authenticate(pb.AuthenticateRequest(login=login, password=PASSWORD))
    )
    assert_error(error, grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")
    # The freed login may be given to someone else.
    assert (await create(users, login=login)).login == login
