"""Access tokens: JWT signed with HS256 (the only algorithm accepted), with sub (login), papel,
aluno_id (role aluno only), iss, aud, iat, exp and jti, all required and checked on decoding.

:class:`Verifier` is what the routes use: :func:`decode` with the principals of valid tokens
remembered by the raw token, since a client sends the same token for up to its lifetime."""

import functools
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from frequenta_gateway.auth.principal import Principal, Role
from frequenta_gateway.settings import GatewaySettings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "papel", "iss", "aud", "iat", "exp"]
# Clock difference tolerated between the gateway replicas that issue and check a token.
LEEWAY_SECONDS = 5


class TokenError(Exception):
    """A token that authenticates nobody: ``code`` TOKEN_EXPIRED or INVALID_TOKEN."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


def issue(
    settings: GatewaySettings, principal: Principal, *, now: float | None = None
) -> IssuedToken:
    issued_at = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": principal.login,
        "papel": str(principal.papel),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued_at,
        "exp": issued_at + settings.jwt_ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    if principal.aluno_id is not None:
        claims["aluno_id"] = principal.aluno_id
    token = jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)
    return IssuedToken(token, settings.jwt_ttl_seconds)


def decode(settings: GatewaySettings, token: str) -> Principal:
    """The principal of a valid token; TokenError for anything else."""
    return _principal(_claims(settings, token))


def _claims(settings: GatewaySettings, token: str) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("TOKEN_EXPIRED", "The token has expired; get a new one.") from None
    except jwt.InvalidTokenError as error:
        raise TokenError("INVALID_TOKEN", f"The token is not valid: {error}.") from None


class Verifier:
    """:func:`decode` for the routes, remembering the principal of each valid token (up to
    ``size`` tokens, the least recently used forgotten first): a token sent again costs a
    dictionary lookup instead of an HMAC and the claims' checks (about a seventh of a cached
    read's CPU; docs/http-load.md). Only valid tokens are remembered, and a remembered one is
    decoded afresh once it has expired (exp plus the leeway), which refuses it with
    TOKEN_EXPIRED exactly as before. Nothing else about a valid token changes with time, and
    decoding never looked the user up, so a disabled user's token answers as it did."""

    def __init__(self, settings: GatewaySettings, size: int = 4096) -> None:
        self._settings = settings
        self._valid = functools.lru_cache(maxsize=size)(self._decode)

    def decode(self, token: str) -> Principal:
        """The principal of a valid token; TokenError for anything else."""
        principal, valid_until = self._valid(token)
        if time.time() >= valid_until:
            return decode(self._settings, token)  # raises TOKEN_EXPIRED
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        claims = _claims(self._settings, token)
        return _principal(claims), float(claims["exp"]) + LEEWAY_SECONDS


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        papel = Role(claims["papel"])
    except ValueError:
        raise TokenError("INVALID_TOKEN", "The token names no known role.") from None
    aluno_id = claims.get("aluno_id")
    if papel is Role.ALUNO:
        if not isinstance(aluno_id, int) or isinstance(aluno_id, bool) or aluno_id < 1:
            raise TokenError("INVALID_TOKEN", "A member's token must name the member.")
    else:
        aluno_id = None
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise TokenError("INVALID_TOKEN", "The token names no user.")
    return Principal(login=claims["sub"], papel=papel, aluno_id=aluno_id)
