"""Retention work: the contact log, a member's risk over time, and the effect of the contacts
measured against the control group (docs/retention.md)."""

from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.churn import RiskBand
from frequenta_gateway.schemas.common import CalendarDate, RequestModel, ResponseModel

Channel = Literal["telefone", "whatsapp", "email", "sms", "presencial"]
Outcome = Literal[
    "sem_resposta", "conversou", "retorno_agendado", "recusou", "cancelamento_evitado"
]
MAX_TEXT = 2000
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold a NUL

CONTACT_IN_EXAMPLE = {
    "canal": "whatsapp",
    "resultado": "retorno_agendado",
    "nota": "Mudou de turno no trabalho; pediu horários à noite.",
    "proximo_passo": "Ligar com a grade das turmas noturnas",
    "proximo_passo_em": "2025-03-14",
}
CONTACT_EXAMPLE = {
    "id": 17,
    "aluno_id": 42,
    **CONTACT_IN_EXAMPLE,
    "autor": "ana.recepcao",
    "fora_do_protocolo": False,
    "registrado_em": "2025-03-12T15:04:00Z",
}


class ContactIn(RequestModel):
    """One contact of the retention team with a member."""

    canal: Channel = Field(description="How the member was reached.", examples=["whatsapp"])
    resultado: Outcome = Field(
        description="What came of it: `sem_resposta`, `conversou`, `retorno_agendado` (a call "
        "back was scheduled), `recusou`, `cancelamento_evitado` (meant to cancel and stayed).",
        examples=["conversou"],
    )
    nota: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        pattern=NO_NUL,
        description="Free text: what was said (no NUL characters).",
    )
    proximo_passo: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        pattern=NO_NUL,
        description="The next step agreed (no NUL characters).",
    )
    proximo_passo_em: CalendarDate | None = Field(
        default=None, description="Local date of the next step.", examples=["2025-03-14"]
    )
    fora_do_protocolo: bool = Field(
        default=False,
        strict=True,
        description="Record it although the member is in the control group (otherwise 409 "
        "`CONTROL_GROUP`): the contact is kept, marked, and the member stays in the control "
        "group of the effect report (intention to treat).",
    )

    model_config = ConfigDict(json_schema_extra={"examples": [CONTACT_IN_EXAMPLE]})


class Contact(ResponseModel):
    """A contact as recorded."""

    id: int = Field(description="Contact id.", examples=[17])
    aluno_id: int = Field(description="The member.", examples=[42])
    canal: Channel = Field(description="How the member was reached.", examples=["whatsapp"])
    resultado: Outcome = Field(description="What came of it.", examples=["retorno_agendado"])
    nota: str | None = Field(description="Free text; null if none.")
    proximo_passo: str | None = Field(description="The next step; null if none.")
    proximo_passo_em: date | None = Field(description="Its local date; null if none.")
    autor: str = Field(
        description="Login of the staff member who recorded it (from the token).",
        examples=["ana.recepcao"],
    )
    fora_do_protocolo: bool = Field(
        description="Recorded although the member is in the control group.", examples=[False]
    )
    registrado_em: datetime = Field(
        description="When it was recorded.", examples=["2025-03-12T15:04:00Z"]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [CONTACT_EXAMPLE]})


class ContactList(ResponseModel):
    """A member's contact log, newest first."""

    aluno_id: int = Field(description="The member.", examples=[42])
    itens: list[Contact] = Field(description="Newest first; empty if none.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"aluno_id": 42, "itens": [CONTACT_EXAMPLE]}]}
    )


DAY_EXAMPLE = {
    "dia": "2025-03-12",
    "probabilidade": 0.31,
    "risco_nivel": "alto",
    "versao_modelo": "2025-03-01T06-00-00Z-hgb",
}


class DailyRisk(ResponseModel):
    """One local day's score (the day's first snapshot of the at-risk list)."""

    dia: date = Field(description="Local date.", examples=["2025-03-12"])
    probabilidade: float = Field(
        ge=0, le=1, description="Probability of cancelling within the horizon.", examples=[0.31]
    )
    risco_nivel: RiskBand | None = Field(description="Its band.", examples=["alto"])
    versao_modelo: str = Field(
        description="The model that scored it.", examples=["2025-03-01T06-00-00Z-hgb"]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [DAY_EXAMPLE]})


class RiskHistory(ResponseModel):
    """A member's risk over time, oldest first."""

    aluno_id: int = Field(description="The member.", examples=[42])
    itens: list[DailyRisk] = Field(
        description="One score per local day the member was active and scored, oldest first."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "aluno_id": 42,
                    "itens": [
                        {
                            "dia": "2025-03-11",
                            "probabilidade": 0.12,
                            "risco_nivel": "médio",
                            "versao_modelo": "2025-03-01T06-00-00Z-hgb",
                        },
                        DAY_EXAMPLE,
                    ],
                }
            ]
        }
    )


GROUP_EXAMPLE = {
    "membros": 212,
    "cancelamentos": 38,
    "taxa_cancelamento": 0.179,
    "ic95_inferior": 0.133,
    "ic95_superior": 0.237,
    "em_acompanhamento": 40,
}


class GroupOutcome(ResponseModel):
    """One group's cancellations among its members whose follow-up window has ended."""

    membros: int = Field(description="Members whose follow-up window ended.", examples=[212])
    cancelamentos: int = Field(description="Of them, cancelled within it.", examples=[38])
    taxa_cancelamento: float = Field(description="cancelamentos / membros.", examples=[0.179])
    ic95_inferior: float = Field(description="95 % Wilson interval, lower.", examples=[0.133])
    ic95_superior: float = Field(description="95 % Wilson interval, upper.", examples=[0.237])
    em_acompanhamento: int = Field(
        description="Members drawn less than the window ago (not counted yet).", examples=[40]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [GROUP_EXAMPLE]})


class RetentionEffect(ResponseModel):
    """Whether contacting members at high risk lowers cancellations: by group as drawn
    (intention to treat), among members whose follow-up window (the model's horizon after the
    draw) has ended; a cancellation counts when it came within that window."""

    contato: GroupOutcome = Field(description="The group the team calls.")
    controle: GroupOutcome = Field(description="Left uncontacted on purpose.")
    diferenca: float = Field(
        description="taxa_cancelamento of contato - that of controle; negative: the contacts "
        "lowered cancellations.",
        examples=[-0.071],
    )
    ic95_inferior: float = Field(
        description="95 % interval of `diferenca` (Newcombe's hybrid score interval), lower.",
        examples=[-0.271],
    )
    ic95_superior: float = Field(description="Its upper bound.", examples=[0.07])
    contatados: int = Field(
        description="Members of `contato` (counted) with at least one contact in their window.",
        examples=[171],
    )
    dias_acompanhamento: int = Field(
        description="The follow-up window in days after the draw.", examples=[30]
    )
    proporcao_controle: float = Field(
        description="Share of the members at high risk drawn into the control group "
        "(FREQUENTA_RETENTION_CONTROL_SHARE).",
        examples=[0.1],
    )
    conclusao: str = Field(
        description='What the numbers show, in Portuguese ("Ainda sem dados suficientes" '
        "below 30 members in a group).",
        examples=["Sem diferença clara entre os grupos: ...; o intervalo inclui zero."],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contato": GROUP_EXAMPLE,
                    "controle": {
                        "membros": 24,
                        "cancelamentos": 6,
                        "taxa_cancelamento": 0.25,
                        "ic95_inferior": 0.12,
                        "ic95_superior": 0.449,
                        "em_acompanhamento": 5,
                    },
                    "diferenca": -0.071,
                    "ic95_inferior": -0.271,
                    "ic95_superior": 0.07,
                    "contatados": 171,
                    "dias_acompanhamento": 30,
                    "proporcao_controle": 0.1,
                    "conclusao": "Ainda sem dados suficientes: 212 membros no grupo contato e "
                    "24 no grupo controle com os 30 dias de acompanhamento encerrados; são "
                    "necessários ao menos 30 em cada grupo.",
                }
            ]
        }
    )
