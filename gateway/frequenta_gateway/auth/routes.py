"""Tokens (POST /auth/token) and users (/usuarios, admins only)."""

from typing import Annotated
from urllib.parse import parse_qs

import grpc
from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway.auth import tokens
from frequenta_gateway.auth.mappers import PROTO_ROLE, principal_of, user_out
from frequenta_gateway.auth.policies import (
    ADMIN,
    PolicyFirstRoute,
    allow,
    public,
    unauthenticated,
)
from frequenta_gateway.clients import DeadlineDep, SettingsDep, UsersDep
from frequenta_gateway.errors import ApiError
from frequenta_gateway.rate_limits import WRITES, limit_login
from frequenta_gateway.schemas.common import INT64_MAX
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.users import Token, TokenRequest, User, UserCreation
from frequenta_kit.grpc_errors import describe_rpc_error

# Writes are rate-limited per client; token requests also per address and per login.
router = APIRouter(tags=["autenticacao"], route_class=PolicyFirstRoute, dependencies=[WRITES])

FORM = "application/x-www-form-urlencoded"
# The OAuth2 form's names of the JSON body's fields.
FORM_FIELD = {"login": "username", "senha": "password"}
# The largest token request read (a login and a password are far smaller).
MAX_TOKEN_REQUEST_BYTES = 8192

TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["password"]},
                        "username": {"type": "string", "description": "The login."},
                        "password": {"type": "string", "format": "password"},
                    },
                }
            },
            "application/json": {"schema": TokenRequest.model_json_schema()},
        },
    }
}


async def _credentials(request: Request) -> TokenRequest:
    """The login and password of an OAuth2 password form (`username`, `password`) or of a JSON
    body (`login`, `senha`)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if len(body) > MAX_TOKEN_REQUEST_BYTES:
        raise ApiError(413, "PAYLOAD_TOO_LARGE", "A token request is at most 8 KiB.")
    try:
        if media == FORM:
            fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            grant = fields.get("grant_type", ["password"])[0]
            if grant != "password":
                raise ApiError.invalid("grant_type", "Only the `password` grant is offered.")
            form = {
                "login": fields.get("username", [""])[0],
                "senha": fields.get("password", [""])[0],
            }
            try:
                return TokenRequest.model_validate(form)
            except ValidationError as error:  # named as the form names them
                raise RequestValidationError(
                    [{**e, "loc": (FORM_FIELD[e["loc"][0]],)} for e in error.errors()]
                ) from None
        if media in ("application/json", ""):
            return TokenRequest.model_validate_json(body or b"null")
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None
    raise ApiError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        f"Send the credentials as {FORM} (username, password) or application/json "
        f"(login, senha), not {media}.",
    )


async def authenticate(
    request: Request, users: UsersDep, settings: SettingsDep, deadline: DeadlineDep
) -> Token:
    """As a dependency: the token of the credentials in the request's body (POST /auth/token,
    and the retention workspace's POST /painel/sessao), limited per address and login, checked
    by attendance."""
    credentials = await _credentials(request)
    await limit_login(request, credentials.login)  # before the password costs anything
    try:
        reply = await users.Authenticate(
            pb.AuthenticateRequest(login=credentials.login, password=credentials.senha),
            timeout=deadline,
        )
    except grpc.aio.AioRpcError as error:
        if describe_rpc_error(error).reason == "INVALID_CREDENTIALS":
            raise unauthenticated("INVALID_CREDENTIALS", "Wrong login or password.") from None
        raise
    principal = principal_of(reply.user)
    issued = tokens.issue(settings, principal)
    return Token(
        access_token=issued.access_token,
        token_type="bearer",
        expires_in=issued.expires_in,
        papel=principal.papel,
        aluno_id=principal.aluno_id,
    )


# The checked credentials' token, for the routes that log in.
CheckedCredentials = Annotated[Token, Depends(authenticate)]


@router.post(
    "/auth/token",
    response_model=Token,
    summary="Get an access token",
    response_description="A bearer token and its lifetime.",
    responses=error_responses(401, 413, 415, 422, 429),
    openapi_extra=TOKEN_BODY,
    dependencies=[public()],
)
async def issue_token(token: CheckedCredentials, response: Response) -> Token:
    """Checks a login and password and answers a short-lived JWT (15 minutes by default) to
    send as `Authorization: Bearer <access_token>`; log in again when it expires. Takes the
    OAuth2 password form (`username`, `password`: what Swagger UI's Authorize button sends) or
    JSON `{"login", "senha"}`. 401 `INVALID_CREDENTIALS` for a wrong login or password or a
    disabled user, without saying which. 429 `RATE_LIMITED` after too many attempts from one
    address or for one login (README, "Limits")."""
    response.headers["Cache-Control"] = "no-store"
    return token


@router.post(
    "/usuarios",
    status_code=status.HTTP_201_CREATED,
    response_model=User,
    tags=["usuarios"],
    summary="Create a user",
    response_description="The user as stored (without the password).",
    responses=error_responses(404, 409, 413, 422),
    dependencies=[allow(ADMIN)],
)
async def create_user(body: UserCreation, users: UsersDep, deadline: DeadlineDep) -> User:
    """Creates a user with a role (201). 409 `LOGIN_ALREADY_EXISTS` when the login, compared
    ignoring case, is taken; 404 `MEMBER_NOT_FOUND` for an unknown `aluno_id`; 422 when role
    `aluno` comes without `aluno_id` or another role with one."""
    request = pb.CreateUserRequest(
        login=body.login,
        password=body.senha,
        role=PROTO_ROLE[body.papel],
        member_id=body.aluno_id or 0,
    )
    reply = await users.CreateUser(request, timeout=deadline)
    return user_out(reply.user)


@router.get(
    "/usuarios",
    response_model=list[User],
    tags=["usuarios"],
    summary="List users",
    response_description="The users, oldest first.",
    responses=error_responses(422),
    dependencies=[allow(ADMIN)],
)
async def list_users(
    users: UsersDep,
    deadline: DeadlineDep,
    incluir_inativos: Annotated[bool, Query(description="Include disabled users.")] = False,
) -> list[User]:
    """The users and their roles; active ones only unless asked otherwise."""
    reply = await users.ListUsers(
        pb.ListUsersRequest(include_inactive=incluir_inativos), timeout=deadline
    )
    return [user_out(user) for user in reply.users]


@router.post(
    "/usuarios/{id:int}/desativacao",
    response_model=User,
    tags=["usuarios"],
    summary="Disable a user",
    response_description="The user, now disabled.",
    responses=error_responses(404, 422),
    dependencies=[allow(ADMIN)],
)
async def disable_user(
    id: Annotated[int, Path(ge=1, le=INT64_MAX, description="User id.")],
    users: UsersDep,
    deadline: DeadlineDep,
) -> User:
    """The user's password is refused from now on; tokens already issued stay valid until they
    expire (at most `FREQUENTA_JWT_TTL_SECONDS`). 404 `USER_NOT_FOUND`."""
    reply = await users.DisableUser(pb.DisableUserRequest(user_id=id), timeout=deadline)
    return user_out(reply.user)
