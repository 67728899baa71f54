"""Closed vocabularies of the domain. Values are the codes stored in the database (Portuguese,
part of the public contract); names are what the code says."""

from enum import Enum, StrEnum


class CancellationReason(StrEnum):
    PRICE = "preco"
    RELOCATION = "mudanca"
    NO_TIME = "falta_de_tempo"
    HEALTH = "saude"
    DISSATISFACTION = "insatisfacao"
    COMPETITOR = "concorrencia"
    MOTIVATION = "desmotivacao"
    OTHER = "outro"
    NOT_GIVEN = "nao_informado"  # the client said nothing (older clients)


class CheckInSource(StrEnum):
    FRONT_DESK = "recepcao"
    TURNSTILE = "catraca"
    IMPORT = "importacao"
    APP = "app"


class MemberStatus(Enum):
    """Which members a listing returns."""

    ALL = "all"
    ACTIVE = "active"
    CANCELLED = "cancelled"


class UserRole(StrEnum):
    """What a user of the REST API may do (column ``usuarios.papel``)."""

    ADMIN = "admin"
    STAFF = "equipe"
    MEMBER = "aluno"
    TURNSTILE = "catraca"
