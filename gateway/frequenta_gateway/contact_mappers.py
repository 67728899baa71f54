"""Retention work: proto <-> REST schema (pure). The REST words are the codes of the churn
database (docs/retention.md)."""

from frequenta.churn.v1 import churn_pb2 as pb
from frequenta_gateway.mappers import instant
from frequenta_gateway.schemas import retention
from frequenta_gateway.vocabulary import BAND_FROM_PROTO

CHANNEL_TO_PROTO = {
    "telefone": pb.CONTACT_CHANNEL_PHONE,
    "whatsapp": pb.CONTACT_CHANNEL_WHATSAPP,
    "email": pb.CONTACT_CHANNEL_EMAIL,
    "sms": pb.CONTACT_CHANNEL_SMS,
    "presencial": pb.CONTACT_CHANNEL_IN_PERSON,
}
OUTCOME_TO_PROTO = {
    "sem_resposta": pb.CONTACT_OUTCOME_NO_ANSWER,
    "conversou": pb.CONTACT_OUTCOME_TALKED,
    "retorno_agendado": pb.CONTACT_OUTCOME_CALLBACK_SCHEDULED,
    "recusou": pb.CONTACT_OUTCOME_REFUSED,
    "cancelamento_evitado": pb.CONTACT_OUTCOME_CANCELLATION_AVERTED,
}
CHANNEL_FROM_PROTO = {value: name for name, value in CHANNEL_TO_PROTO.items()}
OUTCOME_FROM_PROTO = {value: name for name, value in OUTCOME_TO_PROTO.items()}


def record_contact_request(
    member_id: int, body: retention.ContactIn, author: str
) -> pb.RecordContactRequest:
    return pb.RecordContactRequest(
        member_id=member_id,
        channel=CHANNEL_TO_PROTO[body.canal],
        outcome=OUTCOME_TO_PROTO[body.resultado],
        note=body.nota or "",
        next_step=body.proximo_passo or "",
        next_step_on=body.proximo_passo_em.isoformat() if body.proximo_passo_em else "",
        author=author,
        off_protocol=body.fora_do_protocolo,
    )


def contact_out(contact: pb.Contact) -> retention.Contact:
    return retention.Contact(
        id=contact.id,
        aluno_id=contact.member_id,
        canal=CHANNEL_FROM_PROTO[contact.channel],
        resultado=OUTCOME_FROM_PROTO[contact.outcome],
        nota=contact.note or None,
        proximo_passo=contact.next_step or None,
        proximo_passo_em=contact.next_step_on or None,
        autor=contact.author,
        fora_do_protocolo=contact.off_protocol,
        registrado_em=instant(contact, "recorded_at"),
    )


def contact_list_out(reply: pb.ListContactsResponse) -> retention.ContactList:
    return retention.ContactList(
        aluno_id=reply.member_id, itens=[contact_out(c) for c in reply.contacts]
    )


def risk_history_out(reply: pb.GetRiskHistoryResponse) -> retention.RiskHistory:
    return retention.RiskHistory(
        aluno_id=reply.member_id,
        itens=[
            retention.DailyRisk(
                dia=day.day,
                probabilidade=day.probability,
                risco_nivel=BAND_FROM_PROTO.get(day.band),
                versao_modelo=day.model_version,
            )
            for day in reply.days
        ],
    )


def _group(group: pb.GroupOutcome) -> retention.GroupOutcome:
    return retention.GroupOutcome(
        membros=group.members,
        cancelamentos=group.cancellations,
        taxa_cancelamento=round(group.cancellation_rate, 4),
        ic95_inferior=round(group.ci95_lower, 4),
        ic95_superior=round(group.ci95_upper, 4),
        em_acompanhamento=group.in_follow_up,
    )


def effect_out(reply: pb.GetRetentionEffectResponse) -> retention.RetentionEffect:
    return retention.RetentionEffect(
        contato=_group(reply.contact),
        controle=_group(reply.control),
        diferenca=round(reply.difference, 4),
        ic95_inferior=round(reply.difference_ci95_lower, 4),
        ic95_superior=round(reply.difference_ci95_upper, 4),
        contatados=reply.contacted,
        dias_acompanhamento=reply.follow_up_days,
        proporcao_controle=reply.control_share,
        conclusao=reply.conclusion,
    )
