"""Users and roles between REST and UserService."""

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway.auth.principal import Principal, Role
from frequenta_gateway.mappers import instant
from frequenta_gateway.schemas.users import User

PROTO_ROLE = {
    Role.ADMIN: pb.USER_ROLE_ADMIN,
    Role.EQUIPE: pb.USER_ROLE_STAFF,
    Role.ALUNO: pb.USER_ROLE_MEMBER,
    Role.CATRACA: pb.USER_ROLE_TURNSTILE,
}
ROLE_OF_PROTO = {number: role for role, number in PROTO_ROLE.items()}


def principal_of(user: pb.User) -> Principal:
    return Principal(
        login=user.login, papel=ROLE_OF_PROTO[user.role], aluno_id=user.member_id or None
    )


def user_out(user: pb.User) -> User:
    return User(
        id=user.id,
        login=user.login,
        papel=ROLE_OF_PROTO[user.role],
        aluno_id=user.member_id or None,
        ativo=user.active,
        criado_em=instant(user, "created_at"),
    )
