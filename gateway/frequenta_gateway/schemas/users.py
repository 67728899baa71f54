"""Tokens and users (`usuarios`) of the REST API."""

from datetime import datetime

from pydantic import ConfigDict, Field

from frequenta_gateway.auth.principal import Role
from frequenta_gateway.schemas.common import RequestModel, ResponseModel, StrictId

TOKEN_EXAMPLE = {
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
    "token_type": "bearer",
    "expires_in": 900,
    "papel": "equipe",
    "aluno_id": None,
}
USER_EXAMPLE = {
    "id": 7,
    "login": "recepcao.centro",
    "papel": "equipe",
    "aluno_id": None,
    "ativo": True,
    "criado_em": "2026-11-27T09:00:00Z",
}


class TokenRequest(RequestModel):
    """A login and password as JSON (the OAuth2 form fields `username` and `password` work too)."""

    login: str = Field(min_length=1, max_length=100, description="The user's login.")
    senha: str = Field(min_length=1, max_length=1024, description="The user's password.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"login": "recepcao", "senha": "uma senha longa"}]}
    )


class Token(ResponseModel):
    """An access token: send it as `Authorization: Bearer <access_token>` until it expires."""

    access_token: str = Field(description="The JWT (HS256).")
    token_type: str = Field(description="Always `bearer`.", examples=["bearer"])
    expires_in: int = Field(description="Seconds until it expires.", examples=[900])
    papel: Role = Field(description="The role the token carries.")
    aluno_id: int | None = Field(
        default=None, description="For role `aluno`, the member the token belongs to."
    )

    model_config = ConfigDict(json_schema_extra={"examples": [TOKEN_EXAMPLE]})


class UserCreation(RequestModel):
    """A new user. Role `aluno` needs the member's `aluno_id`; no other role takes one."""

    login: str = Field(
        min_length=3,
        max_length=100,
        pattern=r"^[A-Za-z0-9._@+-]+$",
        description="3 to 100 letters, digits or . _ @ + -; unique ignoring case.",
        examples=["recepcao.centro"],
    )
    senha: str = Field(
        min_length=8,
        max_length=1024,
        description="At least 8 characters.",
        examples=["s3nh@-longa"],
    )
    papel: Role = Field(description="admin, equipe, aluno or catraca.")
    aluno_id: StrictId | None = Field(
        default=None, description="Required for role `aluno`: the member this user is."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"login": "recepcao.centro", "senha": "s3nh@-longa", "papel": "equipe"},
                {"login": "ana.souza", "senha": "s3nh@-longa", "papel": "aluno", "aluno_id": 42},
            ]
        }
    )


class User(ResponseModel):
    """A user of the API (never their password)."""

    id: int = Field(description="User id.", examples=[7])
    login: str = Field(description="Login as created.", examples=["recepcao.centro"])
    papel: Role = Field(description="The user's role.")
    aluno_id: int | None = Field(default=None, description="For role `aluno`, the member.")
    ativo: bool = Field(description="False once disabled.", examples=[True])
    criado_em: datetime = Field(description="When the user was created.")

    model_config = ConfigDict(json_schema_extra={"examples": [USER_EXAMPLE]})
