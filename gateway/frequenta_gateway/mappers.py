"""proto <-> REST schema. Pure functions: no I/O, no HTTP, no business rules."""

from datetime import UTC, date, datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.churn.v1 import churn_pb2
from frequenta_gateway.schemas import attendance, batches, churn, members, model, plans, visits
from frequenta_gateway.schemas.common import Pagination, Period
from frequenta_gateway.vocabulary import (
    BAND_FROM_PROTO,
    BAND_TO_PROTO,
    DIRECTION_FROM_PROTO,
    FACTOR_FROM_PROTO,
    IMPORT_STATE_FROM_PROTO,
    PROMOTION_REASON_FROM_PROTO,
    REASON_FROM_PROTO,
    REASON_TO_PROTO,
    RETRAINING_STATE_FROM_PROTO,
    SOURCE_FROM_PROTO,
    SOURCE_TO_PROTO,
    STATUS_TO_PROTO,
)

# --- scalars -----------------------------------------------------------------------------------


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def instant(message: Message, field: str) -> datetime | None:
    """An aware UTC datetime from a Timestamp field, None when the field is unset."""
    if not message.HasField(field):
        return None
    return getattr(message, field).ToDatetime(tzinfo=UTC)


def _optional(message: Message, field: str) -> int | float | None:
    return getattr(message, field) if message.HasField(field) else None


def _text(value: str) -> str | None:
    return value or None


def _local_date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


# --- plans ---------------------------------------------------------------------------------------


def plan_out(plan: pb.Plan) -> plans.Plan:
    return plans.Plan(
        id=plan.id,
        codigo=plan.code,
        nome=plan.name,
        duracao_meses=plan.duration_months,
        preco=plan.price_cents / 100,
        ativo=plan.active,
    )


def create_plan_request(body: plans.PlanCreation) -> pb.CreatePlanRequest:
    return pb.CreatePlanRequest(
        code=body.codigo,
        name=body.nome,
        duration_months=body.duracao_meses,
        price_cents=round(body.preco * 100),
    )


# --- members -------------------------------------------------------------------------------------


def member_out(member: pb.Member) -> members.Member:
    return members.Member(
        id=member.id,
        nome=member.name,
        email=member.email,
        telefone=_text(member.phone),
        data_nascimento=_local_date(member.birth_date),
        plano_id=member.plan.id,
        plano=plan_out(member.plan),
        data_matricula=instant(member, "enrolled_at"),
        ativo=member.active,
        data_cancelamento=instant(member, "cancelled_at"),
        motivo_cancelamento=REASON_FROM_PROTO.get(member.cancellation_reason),
        codigo_motivo=REASON_FROM_PROTO.get(member.cancellation_reason),
        observacao_cancelamento=_text(member.cancellation_note),
        dados_removidos_em=instant(member, "personal_data_erased_at"),
        proxima_renovacao=_local_date(member.next_renewal_on),
    )


def register_request(body: members.MemberRegistration) -> pb.RegisterMemberRequest:
    return pb.RegisterMemberRequest(
        name=body.nome,
        email=str(body.email),
        phone=body.telefone or "",
        birth_date=body.data_nascimento.isoformat() if body.data_nascimento else "",
        plan_id=body.plano_id,
        enrolled_at=timestamp(body.data_matricula),
    )


def erase_request(
    member_id: int, body: members.PersonalDataErasure | None
) -> pb.EraseMemberPersonalDataRequest:
    reason = body.motivo if body is not None else None
    return pb.EraseMemberPersonalDataRequest(member_id=member_id, reason=reason or "")


def cancel_request(member_id: int, body: members.Cancellation | None) -> pb.CancelMembershipRequest:
    body = body or members.Cancellation()
    reason, note = body.reason_and_note()
    return pb.CancelMembershipRequest(
        member_id=member_id,
        cancelled_at=timestamp(body.data_cancelamento),
        reason=REASON_TO_PROTO[reason],
        note=note or "",
    )


def list_members_request(
    *, plan_id: int | None, status: members.StatusFilter, query: str | None, page: int, size: int
) -> pb.ListMembersRequest:
    return pb.ListMembersRequest(
        plan_id=plan_id or 0,
        status=STATUS_TO_PROTO[status],
        query=query or "",
        page=page,
        page_size=size,
    )


def member_page_out(
    response: pb.ListMembersResponse, *, page: int, size: int
) -> members.MemberPage:
    return members.MemberPage(
        itens=[member_out(member) for member in response.members],
        total=response.total,
        pagina=page,
        tamanho=size,
    )


# --- visits --------------------------------------------------------------------------------------


def checkin_request(body: visits.CheckIn, idempotency_key: str | None) -> pb.RecordCheckInRequest:
    return pb.RecordCheckInRequest(
        member_id=body.aluno_id,
        entered_at=timestamp(body.data_entrada),
        exited_at=timestamp(body.data_saida),
        source=SOURCE_TO_PROTO[body.origem] if body.origem else pb.CHECK_IN_SOURCE_UNSPECIFIED,
        device_id=body.dispositivo_id or "",
        idempotency_key=idempotency_key or "",
    )


def checkout_request(body: visits.CheckOut) -> pb.RecordCheckOutRequest:
    return pb.RecordCheckOutRequest(
        member_id=body.aluno_id,
        exited_at=timestamp(body.data_saida),
        device_id=body.dispositivo_id or "",
    )


def _visit_fields(visit: pb.Visit) -> dict[str, object]:
    return {
        "id": visit.id,
        "data_entrada": instant(visit, "entered_at"),
        "data_saida": instant(visit, "exited_at"),
        "duracao_minutos": _optional(visit, "duration_minutes"),
        "origem": SOURCE_FROM_PROTO.get(visit.source),
        "dispositivo_id": _text(visit.device_id),
    }


def visit_out(visit: pb.Visit) -> visits.Visit:
    return visits.Visit(aluno_id=visit.member_id, **_visit_fields(visit))


# --- attendance ----------------------------------------------------------------------------------


def attendance_request(
    member_id: int, *, start: date | None, end: date | None, page: int, size: int
) -> pb.GetAttendanceRequest:
    return pb.GetAttendanceRequest(
        member_id=member_id,
        from_date=start.isoformat() if start else "",
        to_date=end.isoformat() if end else "",
        page=page,
        page_size=size,
    )


def attendance_out(
    response: pb.GetAttendanceResponse, *, page: int, size: int
) -> attendance.Attendance:
    summary = response.summary
    return attendance.Attendance(
        aluno_id=response.member_id,
        total_checkins=summary.total_visits,
        media_checkins_semana=summary.visits_per_week_last_4_weeks,
        dias_desde_ultimo_checkin=_optional(summary, "days_since_last_visit"),
        media_duracao_minutos=_optional(summary, "average_visit_minutes"),
        ultimo_checkin=instant(summary, "last_visit_at"),
        serie_semanal=[
            attendance.WeekCount(
                semana_inicio=date.fromisoformat(week.week_start), checkins=week.visits
            )
            for week in summary.weekly
        ],
        checkins=[attendance.AttendedVisit(**_visit_fields(visit)) for visit in response.visits],
        periodo=Period(
            data_inicio=date.fromisoformat(response.from_date),
            data_fim=date.fromisoformat(response.to_date),
        ),
        paginacao=Pagination(pagina=page, tamanho=size, total=response.total_in_range),
        calculado_em=instant(summary, "as_of") or datetime.now(UTC),
    )


# --- churn ---------------------------------------------------------------------------------------


def _risk_fields(risk: churn_pb2.ChurnRisk) -> dict[str, object]:
    return {
        "aluno_id": risk.member_id,
        "probabilidade_churn": risk.probability,
        "risco_nivel": BAND_FROM_PROTO.get(risk.band),
        "fatores_risco": [
            churn.RiskFactor(
                fator=FACTOR_FROM_PROTO.get(factor.factor, factor.factor),
                atributo=factor.feature,
                valor=factor.value,
                direcao=DIRECTION_FROM_PROTO.get(factor.direction),
                peso=factor.weight,
                descricao=factor.description,
            )
            for factor in risk.factors
        ],
        "recomendacoes": list(risk.recommendations),
        "versao_modelo": risk.model_version,
        "horizonte_dias": risk.horizon_days,
        "calculado_em": instant(risk, "computed_at") or datetime.now(UTC),
        "historico_limitado": risk.limited_history,
        "plano": risk.plan_code,
        "dias_matricula": risk.tenure_days,
        "ultimo_checkin": instant(risk, "last_visit_at"),
        "visitas_semana_recentes": _optional(risk, "recent_visits_per_week"),
        "visitas_semana_habituais": _optional(risk, "usual_visits_per_week"),
    }


def churn_risk_out(risk: churn_pb2.ChurnRisk) -> churn.ChurnRisk:
    return churn.ChurnRisk(**_risk_fields(risk))


def at_risk_request(
    *,
    min_band: churn.BandFilter | None,
    plan_code: str | None,
    max_tenure_days: int | None,
    page: int,
    size: int,
    min_tenure_days: int | None = None,
    capacity: int | None = None,
) -> churn_pb2.ListAtRiskMembersRequest:
    return churn_pb2.ListAtRiskMembersRequest(
        min_band=BAND_TO_PROTO[min_band] if min_band else churn_pb2.RISK_BAND_UNSPECIFIED,
        plan_code=plan_code or "",
        max_tenure_days=max_tenure_days or 0,
        page=page,
        page_size=size,
        min_tenure_days=min_tenure_days or 0,
        daily_capacity=capacity or 0,
    )


GROUP_FROM_PROTO = {
    churn_pb2.RETENTION_GROUP_CONTROL: "controle",
    churn_pb2.RETENTION_GROUP_CONTACT: "contato",
}
STATUS_FROM_PROTO = {
    churn_pb2.CONTACT_STATUS_CONTROL: "controle",
    churn_pb2.CONTACT_STATUS_NOT_CONTACTED: "sem_contato",
    churn_pb2.CONTACT_STATUS_CONTACTED: "contatado",
    churn_pb2.CONTACT_STATUS_CALLBACK_SCHEDULED: "retorno_agendado",
}


def retention_fields(state: churn_pb2.MemberRetention | None) -> dict[str, object]:
    """A listed member's retention columns (none from an older churn: not contacted)."""
    if state is None:
        return {"status_contato": "sem_contato", "ultimo_contato": None, "grupo_retencao": None}
    return {
        "status_contato": STATUS_FROM_PROTO.get(state.contact_status, "sem_contato"),
        "ultimo_contato": instant(state, "last_contact_at"),
        "grupo_retencao": GROUP_FROM_PROTO.get(state.group),
    }


def at_risk_page_out(
    response: churn_pb2.ListAtRiskMembersResponse,
    names: dict[int, str],
    *,
    page: int,
    size: int,
) -> churn.AtRiskPage:
    retention = {state.member_id: state for state in response.retention}
    return churn.AtRiskPage(
        itens=[
            churn.AtRiskMember(
                nome=names.get(risk.member_id),
                **_risk_fields(risk),
                **retention_fields(retention.get(risk.member_id)),
            )
            for risk in response.members
        ],
        total=response.total,
        pagina=page,
        tamanho=size,
        versao_modelo=response.model_version,
        calculado_em=instant(response, "computed_at") or datetime.now(UTC),
        capacidade_diaria=response.daily_capacity,
        cancelamentos_esperados=response.expected_cancellations,
        cancelamentos_esperados_na_capacidade=response.expected_cancellations_within_capacity,
        cobertura_capacidade=response.capacity_coverage,
    )


def retraining_job_out(job: churn_pb2.RetrainingJob) -> model.RetrainingJob:
    return model.RetrainingJob(
        job_id=job.job_id,
        estado=RETRAINING_STATE_FROM_PROTO[job.state],
        solicitado_em=instant(job, "requested_at"),
        iniciado_em=instant(job, "started_at"),
        concluido_em=instant(job, "finished_at"),
        versao_modelo=_text(job.model_version),
        promovido=job.promoted,
        erro=_text(job.error),
    )


def model_metrics_out(metrics: churn_pb2.ModelMetrics) -> model.ModelMetrics:
    return model.ModelMetrics(
        roc_auc=metrics.roc_auc,
        pr_auc=metrics.pr_auc,
        brier=metrics.brier,
        erro_calibracao=metrics.calibration_error,
        precisao_top_10=metrics.precision_top_decile,
        lift_top_10=metrics.lift_top_decile,
        precisao_top_5=metrics.precision_top_5_percent,
        lift_top_5=metrics.lift_top_5_percent,
        taxa_base=metrics.base_rate,
        curva_calibracao=[
            model.CalibrationPoint(
                probabilidade_prevista=b.mean_predicted,
                taxa_observada=b.observed_rate,
                membros=b.rows,
            )
            for b in metrics.calibration_curve
        ]
        or None,
    )


def model_version_out(version: churn_pb2.ModelVersion) -> model.ModelVersion:
    return model.ModelVersion(
        versao=version.version,
        algoritmo=version.algorithm,
        em_producao=version.serving,
        motivo_promocao=PROMOTION_REASON_FROM_PROTO.get(version.promotion_reason),
        promovida_em=instant(version, "promoted_at"),
        criada_em=instant(version, "created_at"),
        horizonte_dias=version.horizon_days,
        metricas=model_metrics_out(version.metrics),
        candidatos=[
            model.CandidateMetrics(
                algoritmo=candidate.algorithm, metricas=model_metrics_out(candidate.metrics)
            )
            for candidate in version.candidates
        ],
        atributos=list(version.features),
        treino_inicio=instant(version, "trained_from"),
        treino_fim=instant(version, "trained_until"),
        holdout_inicio=instant(version, "holdout_from"),
        holdout_fim=instant(version, "holdout_until"),
        dados_ate=instant(version, "data_until"),
        alunos=version.members,
        checkins=version.visits,
        cancelamentos=version.cancellations,
        linhas_treino=version.training_rows,
        linhas_holdout=version.holdout_rows,
        linhas_positivas=version.positive_rows,
        faixas_risco=model.RiskBandThresholds(
            medio=version.band_thresholds.medium, alto=version.band_thresholds.high
        ),
        paridade_onnx_max=version.parity_max_diff,
        job_id=_text(version.job_id),
    )


# --- bulk imports ----------------------------------------------------------------------------


def batch_job_out(job: pb.CheckInBatchJob) -> batches.BatchJob:
    return batches.BatchJob(
        job_id=job.job_id,
        estado=IMPORT_STATE_FROM_PROTO[job.state],
        total_linhas=job.total_rows,
        processadas=job.processed_rows,
        aceitas=job.accepted,
        duplicadas=job.duplicates,
        rejeitadas=job.rejected,
        progresso=round(job.processed_rows / job.total_rows, 4) if job.total_rows else 0.0,
        linhas_rejeitadas=[
            batches.RejectedRow(linha=row.row_number, codigo=row.reason, mensagem=row.message)
            for row in job.rejected_rows
        ],
        enviado_em=instant(job, "submitted_at"),
        iniciado_em=instant(job, "started_at"),
        concluido_em=instant(job, "finished_at"),
        erro=_text(job.error),
    )
