"""``python -m frequenta_gateway users create | list | disable``: manage the API's users through
attendance's UserService (the same calls as POST /usuarios, GET /usuarios and
POST /usuarios/{id}/desativacao, without a REST token: whoever runs it reaches the service
directly, with the installation's FREQUENTA_INTERNAL_TOKEN)."""

import argparse
import asyncio
import getpass
import sys

import grpc

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_gateway.auth.mappers import PROTO_ROLE, user_out
from frequenta_gateway.auth.principal import Role
from frequenta_gateway.settings import GatewaySettings
from frequenta_kit import grpc_channels
from frequenta_kit.grpc_errors import describe_rpc_error


def add_parser(commands: argparse._SubParsersAction) -> None:
    users = commands.add_parser("users", help="create, list or disable users of the REST API")
    actions = users.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a user (password prompted or from stdin)")
    create.add_argument("--login", required=True)
    create.add_argument("--papel", required=True, choices=[str(role) for role in Role])
    create.add_argument("--aluno-id", type=int, default=0, help="the member (papel aluno only)")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    listing = actions.add_parser("list", help="list the users")
    listing.add_argument("--all", action="store_true", help="include disabled users")
    disable = actions.add_parser("disable", help="disable a user")
    disable.add_argument("--id", type=int, required=True, help="the user's id")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise SystemExit("the two passwords differ")
    return first


async def _run(args: argparse.Namespace, settings: GatewaySettings, password: str) -> str:
    timeout = settings.grpc_deadline_seconds
    async with grpc_channels.channel(
        settings.attendance_address, token=settings.internal_token
    ) as channel:
        stub = attendance_pb2_grpc.UserServiceStub(channel)
        if args.action == "create":
            request = pb.CreateUserRequest(
                login=args.login,
                password=password,
                role=PROTO_ROLE[Role(args.papel)],
                member_id=args.aluno_id,
            )
            user = (await stub.CreateUser(request, timeout=timeout)).user
            return f"created: {user_out(user).model_dump_json()}"
        if args.action == "disable":
            request = pb.DisableUserRequest(user_id=args.id)
            user = (await stub.DisableUser(request, timeout=timeout)).user
            return f"disabled: {user_out(user).model_dump_json()}"
        reply = await stub.ListUsers(
            pb.ListUsersRequest(include_inactive=args.all), timeout=timeout
        )
        return "\n".join(user_out(user).model_dump_json() for user in reply.users)


def run(args: argparse.Namespace, settings: GatewaySettings) -> int:
    password = _password(args) if args.action == "create" else ""
    try:
        print(asyncio.run(_run(args, settings, password)))
    except grpc.aio.AioRpcError as error:
        described = describe_rpc_error(error)
        print(
            f"failed ({settings.attendance_address}): {described.reason or described.status.name}"
            f" {described.message}",
            file=sys.stderr,
        )
        return 1
    return 0
