"""Members (`alunos`): registration, lookup, listing and cancellation."""

from datetime import date, datetime
from enum import StrEnum

from pydantic import ConfigDict, EmailStr, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from frequenta_gateway.schemas.common import (
    CalendarDate,
    Instant,
    RequestModel,
    ResponseModel,
    StrictId,
)
from frequenta_gateway.schemas.plans import PLAN_EXAMPLE, Plan


class CancellationReason(StrEnum):
    """Why a membership ended (docs/rules.md)."""

    PRICE = "preco"
    RELOCATION = "mudanca"
    NO_TIME = "falta_de_tempo"
    HEALTH = "saude"
    DISSATISFACTION = "insatisfacao"
    COMPETITOR = "concorrencia"
    MOTIVATION = "desmotivacao"
    OTHER = "outro"
    NOT_GIVEN = "nao_informado"


class StatusFilter(StrEnum):
    """Which members a listing returns."""

    ACTIVE = "ativos"
    CANCELLED = "cancelados"
    ALL = "todos"


MEMBER_EXAMPLE = {
    "id": 42,
    "nome": "Ana Souza",
    "email": "ana.souza@example.com",
    "telefone": "+55 11 91234-5678",
    "data_nascimento": "1994-07-21",
    "plano_id": 1,
    "plano": PLAN_EXAMPLE,
    "data_matricula": "2025-01-06T12:30:00Z",
    "ativo": True,
    "data_cancelamento": None,
    "motivo_cancelamento": None,
    "codigo_motivo": None,
    "observacao_cancelamento": None,
    "dados_removidos_em": None,
    "proxima_renovacao": "2026-02-06",
}


class MemberRegistration(RequestModel):
    """A new member on an active plan."""

    nome: str = Field(
        min_length=1,
        max_length=200,
        description="Full name (2 to 200 characters).",
        examples=["Ana Souza"],
    )
    email: EmailStr = Field(
        description="E-mail, unique among members regardless of case.",
        examples=["ana.souza@example.com"],
    )
    telefone: str | None = Field(
        default=None,
        max_length=40,
        description="Phone: 8 to 20 digits, may include + ( ) - and spaces.",
        examples=["+55 11 91234-5678"],
    )
    data_nascimento: CalendarDate | None = Field(
        default=None, description="Birth date YYYY-MM-DD.", examples=["1994-07-21"]
    )
    plano_id: StrictId = Field(description="Id of an active plan.", examples=[1])
    data_matricula: Instant | None = Field(
        default=None,
        description="Enrollment instant with offset; defaults to now. May be in the past "
        "(imports), not in the future.",
        examples=["2025-01-06T09:30:00-03:00"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "nome": "Ana Souza",
                    "email": "ana.souza@example.com",
                    "telefone": "+55 11 91234-5678",
                    "data_nascimento": "1994-07-21",
                    "plano_id": 1,
                }
            ]
        }
    )


class Cancellation(RequestModel):
    """Ends a membership, with a reason code (`nao_informado` when none is given)."""

    codigo_motivo: CancellationReason | None = Field(
        default=None,
        description="Reason code; `nao_informado` when left out.",
        examples=["preco"],
    )
    motivo: str | None = Field(
        default=None,
        max_length=1000,
        description="The reason in free text (stored as the note, like `observacao`). An older "
        "client's `motivo` that is exactly a reason code (e.g. `preco`) and comes without "
        "`codigo_motivo` is read as that code.",
        examples=["Achou a mensalidade cara depois do reajuste."],
    )
    observacao: str | None = Field(
        default=None,
        max_length=1000,
        description="Optional note (up to 1000 characters); give the free text here or in "
        "`motivo`, not in both.",
        examples=["Achou a mensalidade cara depois do reajuste."],
    )
    data_cancelamento: Instant | None = Field(
        default=None,
        description="When the membership ends; defaults to now. Not before the enrollment, not "
        "in the future.",
        examples=["2025-03-31T18:00:00-03:00"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "codigo_motivo": "preco",
                    "motivo": "Achou a mensalidade cara depois do reajuste.",
                }
            ]
        }
    )

    def reason_and_note(self) -> tuple[CancellationReason, str | None]:
        """The reason code and the free text, reading an older client's code-only `motivo`."""
        text = self.motivo
        if self.codigo_motivo is not None:
            return self.codigo_motivo, text or self.observacao
        if text in set(CancellationReason):
            return CancellationReason(text), self.observacao
        return CancellationReason.NOT_GIVEN, text or self.observacao

    @field_validator("observacao")
    @classmethod
    def _text_once(cls, note: str | None, info: ValidationInfo) -> str | None:
        text, code = info.data.get("motivo"), info.data.get("codigo_motivo")
        code_only = code is None and text in set(CancellationReason)
        if note and text and not code_only:
            raise PydanticCustomError(
                "text_twice",
                "give the free-text reason once: in `motivo` or in `observacao`, not both",
            )
        return note


class Member(ResponseModel):
    """A member with their plan."""

    id: int = Field(description="Member id.", examples=[42])
    nome: str = Field(description="Full name.", examples=["Ana Souza"])
    email: str = Field(description="E-mail as given.", examples=["ana.souza@example.com"])
    telefone: str | None = Field(description="Phone, if known.", examples=["+55 11 91234-5678"])
    data_nascimento: date | None = Field(
        description="Birth date, if known.", examples=["1994-07-21"]
    )
    plano_id: int = Field(description="The plan's id.", examples=[1])
    plano: Plan = Field(description="The plan.")
    data_matricula: datetime = Field(
        description="Enrollment instant.", examples=["2025-01-06T12:30:00Z"]
    )
    ativo: bool = Field(description="False once cancelled.", examples=[True])
    proxima_renovacao: date | None = Field(
        default=None,
        description="Active members: the next plan renewal in the gym's local calendar, the end "
        "of the current plan cycle (enrollment date plus whole multiples of the plan's months; "
        "today on the renewal day); null once cancelled.",
        examples=["2026-02-06"],
    )
    data_cancelamento: datetime | None = Field(
        description="When the membership ended.", examples=[None]
    )
    motivo_cancelamento: CancellationReason | None = Field(
        description="Why it ended (reason code).", examples=[None]
    )
    codigo_motivo: CancellationReason | None = Field(
        default=None,
        description="The same reason code as `motivo_cancelamento` (issue-6 name); null while "
        "active.",
        examples=[None],
    )
    observacao_cancelamento: str | None = Field(
        description="Note given at cancellation.", examples=[None]
    )
    dados_removidos_em: datetime | None = Field(
        description="When the member's personal data was erased on request (LGPD): `nome` and "
        "`email` are then placeholders, `telefone`, `data_nascimento` and "
        "`observacao_cancelamento` null; null while never erased.",
        examples=[None],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [MEMBER_EXAMPLE]})


class PersonalDataErasure(RequestModel):
    """An optional record of why a member's personal data is erased."""

    motivo: str | None = Field(
        default=None,
        max_length=500,
        description="Basis of the request (e.g. a protocol number), up to 500 characters; kept "
        "with the member, never in events. Write no personal data in it.",
        examples=["Pedido do titular, protocolo 2026-0042"],
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"motivo": "Pedido do titular, protocolo 2026-0042"}]}
    )


class MemberPage(ResponseModel):
    """A page of members, newest enrollment first."""

    itens: list[Member] = Field(description="The members of this page.")
    total: int = Field(description="Members matching the filters across all pages.", examples=[1])
    pagina: int = Field(description="1-based page number.", examples=[1])
    tamanho: int = Field(description="Page size asked for.", examples=[50])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"itens": [MEMBER_EXAMPLE], "total": 1, "pagina": 1, "tamanho": 50}]
        }
    )
