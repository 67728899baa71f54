"""The UserService servicer: decode, call the use case, encode. Users live in the attendance
database; the gateway authenticates logins through this service and admins manage users."""

from collections.abc import Callable

import grpc

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_attendance import mappers
from frequenta_attendance.domain import errors
from frequenta_attendance.domain.enums import UserRole
from frequenta_attendance.handlers import users
from frequenta_attendance.models import User
from frequenta_attendance.passwords import Passwords
from frequenta_attendance.uow import UnitOfWork

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["UserService"].full_name

Context = grpc.aio.ServicerContext

_ROLE_PREFIX = "USER_ROLE_"


def role(value: int) -> UserRole:
    """The domain role of a proto UserRole; UNSPECIFIED and unknown numbers are refused."""
    try:
        name = pb.UserRole.Name(value).removeprefix(_ROLE_PREFIX)
    except ValueError:
        name = "UNSPECIFIED"
    if name == "UNSPECIFIED":
        roles = ", ".join(_ROLE_PREFIX + known.name for known in UserRole)
        raise errors.invalid("role", f"role is required: one of {roles}")
    return UserRole[name]


def user_message(user: User) -> pb.User:
    return pb.User(
        id=user.id,
        login=user.login,
        role=pb.UserRole.Value(_ROLE_PREFIX + user.role.name),
        member_id=user.member_id or 0,
        active=user.active,
        created_at=mappers.timestamp(user.created_at),
    )


class UserServicer(attendance_pb2_grpc.UserServiceServicer):
    def __init__(self, uow: Callable[[], UnitOfWork], passwords: Passwords) -> None:
        self._uow = uow
        self._passwords = passwords

    async def CreateUser(
        self, request: pb.CreateUserRequest, context: Context
    ) -> pb.CreateUserResponse:
        user = await users.create_user(
            uow=self._uow(),
            passwords=self._passwords,
            login=request.login,
            password=request.password,
            role=role(request.role),
            member_id=request.member_id,
        )
        return pb.CreateUserResponse(user=user_message(user))

    async def Authenticate(
        self, request: pb.AuthenticateRequest, context: Context
    ) -> pb.AuthenticateResponse:
        user = await users.authenticate(
            uow=self._uow(),
            passwords=self._passwords,
            login=request.login,
            password=request.password,
        )
        return pb.AuthenticateResponse(user=user_message(user))

    async def ListUsers(
        self, request: pb.ListUsersRequest, context: Context
    ) -> pb.ListUsersResponse:
        found = await users.list_users(uow=self._uow(), include_inactive=request.include_inactive)
        return pb.ListUsersResponse(users=[user_message(user) for user in found])

    async def DisableUser(
        self, request: pb.DisableUserRequest, context: Context
    ) -> pb.DisableUserResponse:
        user = await users.disable_user(uow=self._uow(), user_id=request.user_id)
        return pb.DisableUserResponse(user=user_message(user))


def add_to_server(servicer: UserServicer, server: grpc.aio.Server) -> str:
    """Adds ``servicer`` to ``server``; returns the service's full name."""
    attendance_pb2_grpc.add_UserServiceServicer_to_server(servicer, server)
    return SERVICE_NAME
