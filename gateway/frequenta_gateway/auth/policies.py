"""The access policy of every route, declared once in its decorator:

    @router.get("/alunos", dependencies=[allow(*STAFF)])
    @router.get("/aluno/{id:int}", dependencies=[allow(*STAFF, OWN_MEMBER)])
    @router.get("/healthz", dependencies=[public()])

A role policy reads the bearer token, stores the caller in ``request.state.principal`` and lets
the request through, or answers 401 (no token, or one that is not valid) or 403 (a role the
route does not allow). The routers' route class :class:`PolicyFirstRoute` checks it before
anything else, the body included. ``OWN_MEMBER`` lets a member (role aluno) through for their
own id only; any other id gets the very answer of an id that does not exist (404
MEMBER_NOT_FOUND), so a member learns nothing about other members. :func:`document_policies`
writes each route's policy into the OpenAPI description; a test checks that every route has
exactly one policy.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, Security
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param

from frequenta_gateway.auth import tokens
from frequenta_gateway.auth.principal import Principal, Role
from frequenta_gateway.errors import ApiError
from frequenta_gateway.schemas.errors import ErrorDetail, error_doc

ADMIN, EQUIPE, ALUNO, CATRACA = Role.ADMIN, Role.EQUIPE, Role.ALUNO, Role.CATRACA
STAFF = (ADMIN, EQUIPE)

# Two descriptions of the same `Authorization: Bearer <token>` header: the OAuth2 password flow
# lets Swagger UI's Authorize button log in with a login and password; the plain bearer scheme
# takes a token obtained elsewhere (curl).
password_flow = OAuth2PasswordBearer(
    tokenUrl="auth/token",
    scheme_name="login",
    description="Log in with a user's login and password (POST /auth/token).",
    auto_error=False,
)
bearer = HTTPBearer(
    bearerFormat="JWT",
    scheme_name="bearer",
    description="An access token from POST /auth/token, as `Authorization: Bearer <token>`.",
    auto_error=False,
)


class OwnMember:
    """A grant: the role, for its own member id (path parameter ``id``) only."""

    def __init__(self, role: Role) -> None:
        self.role = role

    def __repr__(self) -> str:
        return f"{self.role} (own id only)"


OWN_MEMBER = OwnMember(ALUNO)


class Policy(ABC):
    """Base of the policies; :func:`policies_of` finds those of a route."""

    @abstractmethod
    def describe(self) -> str:
        """Who may call the route, in words (the OpenAPI description's "Access" line)."""


class PublicPolicy(Policy):
    async def __call__(self) -> None:
        return None

    def describe(self) -> str:
        return "public: no token needed."


class RolePolicy(Policy):
    def __init__(self, roles: Iterable[Role], own: Iterable[OwnMember]) -> None:
        self.roles = frozenset(roles)
        self.own_member_roles = frozenset(grant.role for grant in own)

    @property
    def allowed(self) -> list[str]:
        """Every role the route lets in, some of them for their own id only."""
        names = [str(role) for role in Role if role in self.roles]
        names += [f"{role} (own id only)" for role in Role if role in self.own_member_roles]
        return names

    def describe(self) -> str:
        return f"bearer token of role {', '.join(self.allowed)}."

    async def __call__(
        self,
        request: Request,
        token: Annotated[str | None, Security(password_flow)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> Principal:
        """As a dependency: the caller, already checked by :class:`PolicyFirstRoute` (the
        security parameters put the bearer schemes in the OpenAPI), or checked now."""
        checked = getattr(request.state, "principal", None)
        if checked is not None and getattr(request.state, "policy", None) is self:
            return checked
        return self.authorize(request, token)

    def lets_in(self, principal: Principal, member_id: object) -> bool:
        """Whether ``principal`` may call the route, for the member id of its path (None for a
        route without one)."""
        if principal.papel in self.roles:
            return True
        return principal.papel in self.own_member_roles and member_id == principal.aluno_id

    def authorize(self, request: Request, token: str | None) -> Principal:
        """The caller of ``request`` if this policy lets them in; ApiError 401, 403 or the
        unknown member's 404 otherwise."""
        if not token:
            raise unauthenticated(
                "UNAUTHENTICATED",
                "This route needs a bearer token: get one from POST /auth/token and send "
                "`Authorization: Bearer <token>`.",
            )
        verifier: tokens.Verifier = request.app.state.tokens
        try:
            principal = verifier.decode(token)
        except tokens.TokenError as error:
            raise unauthenticated(error.code, error.message, invalid_token=True) from None
        request.state.principal = principal
        member_id = request.path_params.get("id")
        if self.lets_in(principal, member_id):
            request.state.policy = self
            return principal
        if principal.papel in self.own_member_roles:
            raise member_not_found(member_id)
        raise ApiError(
            403,
            "FORBIDDEN",
            f"Role {principal.papel} may not use {request.method} {request.url.path}; "
            f"allowed: {', '.join(self.allowed)}.",
        )


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    return token if scheme.lower() == "bearer" and token else None


class PolicyFirstRoute(APIRoute):
    """Checks the route's role policy before anything else, the body included: a request
    without a valid token gets 401 even when its body is malformed (FastAPI reads the body
    before it solves the dependencies). Every router of the API uses it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        roles = [policy for policy in policies_of(self) if isinstance(policy, RolePolicy)]
        if not roles:
            return handler

        async def checked(request: Request) -> Response:
            for policy in roles:
                policy.authorize(request, bearer_token(request))
            return await handler(request)

        return checked


def allow(*grants: Role | OwnMember) -> Any:
    """The route answers the callers of these roles (``OWN_MEMBER``: a member, for their own
    id); for ``dependencies=[...]`` of its decorator."""
    roles = [grant for grant in grants if isinstance(grant, Role)]
    own = [grant for grant in grants if isinstance(grant, OwnMember)]
    return Depends(RolePolicy(roles, own))


def public() -> Any:
    """The route answers anyone, with or without a token."""
    return Depends(PublicPolicy())


def unauthenticated(code: str, message: str, *, invalid_token: bool = False) -> ApiError:
    challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
    return ApiError(401, code, message, headers={"WWW-Authenticate": challenge})


def member_not_found(member_id: object) -> ApiError:
    """Exactly what the API answers for a member id that does not exist (attendance's
    MEMBER_NOT_FOUND, as the error layer renders it): a test compares the two."""
    message = f"no member with id {member_id}"
    return ApiError(
        404, "MEMBER_NOT_FOUND", message, [ErrorDetail(campo="aluno_id", mensagem=message)]
    )


def policies_of(route: APIRoute) -> list[Policy]:
    return [dep.call for dep in route.dependant.dependencies if isinstance(dep.call, Policy)]


ACCESS = "\n\n**Access:** "


def document_policies(router: APIRouter) -> None:
    """Writes the policy of each route of ``router`` into its OpenAPI description (and
    `x-papeis`), with the 401 and 403 answers of the role policies. Running it again changes
    nothing."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        for policy in policies_of(route):
            if ACCESS not in (route.description or ""):
                route.description = f"{route.description}{ACCESS}{policy.describe()}".lstrip()
            if isinstance(policy, RolePolicy):
                route.openapi_extra = {**(route.openapi_extra or {}), "x-papeis": policy.allowed}
                for status in (401, 403):
                    route.responses.setdefault(status, error_doc(status))
