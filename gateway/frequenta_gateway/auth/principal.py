"""Who is calling: the roles of the REST API and the principal a valid token names."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles of the REST API (the `papel` of a user and of a token)."""

    ADMIN = "admin"
    EQUIPE = "equipe"  # front desk and retention staff
    ALUNO = "aluno"  # a member: their own attendance and risk only
    CATRACA = "catraca"  # a turnstile device: check-ins and check-outs only


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request, stored in ``request.state.principal`` by the
    route's policy (rate limits and logs key on it)."""

    login: str
    papel: Role
    # The member a token of role `aluno` belongs to; None for every other role.
    aluno_id: int | None = None
