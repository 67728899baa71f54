"""proto <-> REST schema of alerts and outcome reports. Pure functions: no I/O, no rules."""

from frequenta.attendance.v1 import retention_pb2 as rpb
from frequenta_gateway.mappers import instant
from frequenta_gateway.schemas import alerts, outcomes
from frequenta_gateway.schemas.members import CancellationReason

KIND_TO_PROTO: dict[alerts.AlertKind, int] = {
    kind: rpb.AlertKind.Value(f"ALERT_KIND_{kind.name}") for kind in alerts.AlertKind
}
KIND_FROM_PROTO = {number: kind for kind, number in KIND_TO_PROTO.items()}


def _optional(
    message: rpb.Alert | rpb.TrendPeriod | rpb.MonthAttrition | rpb.PlanAttrition, field: str
) -> int | float | None:
    return getattr(message, field) if message.HasField(field) else None


def alert_out(alert: rpb.Alert) -> alerts.Alert:
    return alerts.Alert(
        aluno_id=alert.member_id,
        nome=alert.member_name,
        plano=alert.plan_code,
        tipo=KIND_FROM_PROTO[alert.kind],
        estagio=_optional(alert, "stage_days"),
        aberto_em=instant(alert, "opened_at"),
        descricao=alert.description,
        dias_sem_visita=alert.days_without_visit,
        ultimo_checkin=instant(alert, "last_visit_at"),
        mes_inicial=_optional(alert, "early_month"),
        visitas_mes_inicial=_optional(alert, "early_month_visits"),
    )


def thresholds_out(value: rpb.AlertThresholds) -> alerts.Thresholds:
    return alerts.Thresholds(
        dias_sem_visita_inicial=value.days_without_first_visit,
        visitas_minimas_mes=value.min_visits_per_month,
        dias_periodo_inicial=value.early_period_days,
        estagios_inatividade_dias=list(value.inactivity_stages_days),
        alterado_por=value.changed_by or None,
        alterado_em=instant(value, "changed_at"),
    )


def thresholds_request(
    body: alerts.ThresholdsInput, changed_by: str
) -> rpb.UpdateAlertThresholdsRequest:
    return rpb.UpdateAlertThresholdsRequest(
        thresholds=rpb.AlertThresholds(
            days_without_first_visit=body.dias_sem_visita_inicial,
            min_visits_per_month=body.visitas_minimas_mes,
            early_period_days=body.dias_periodo_inicial,
            inactivity_stages_days=body.estagios_inatividade_dias,
        ),
        changed_by=changed_by,
    )


def cohorts_out(reply: rpb.GetCohortReportResponse) -> outcomes.CohortReport:
    return outcomes.CohortReport(
        meses=reply.months,
        coortes=[
            outcomes.Cohort(
                mes_entrada=cohort.join_month,
                plano=cohort.plan_code or None,
                membros=cohort.members,
                retidos=[None if share < 0 else share for share in cohort.retained],
            )
            for cohort in reply.cohorts
        ],
    )


def _month_out(month: rpb.MonthAttrition) -> outcomes.MonthAttrition:
    return outcomes.MonthAttrition(
        mes=month.month,
        ativos_inicio=month.active_at_start,
        cancelamentos=month.cancellations,
        novos_alunos=month.new_members,
        taxa_atrito=_optional(month, "attrition_rate"),
        por_plano=[
            outcomes.PlanAttrition(
                plano=plan.plan_code,
                ativos_inicio=plan.active_at_start,
                cancelamentos=plan.cancellations,
                taxa_atrito=_optional(plan, "attrition_rate"),
            )
            for plan in month.by_plan
        ],
        por_motivo=[
            outcomes.ReasonCount(
                codigo_motivo=CancellationReason(reason.reason_code),
                cancelamentos=reason.cancellations,
            )
            for reason in month.by_reason
        ],
    )


def attrition_out(reply: rpb.GetAttritionReportResponse) -> outcomes.AttritionReport:
    return outcomes.AttritionReport(meses=[_month_out(month) for month in reply.months])


def _period_out(period: rpb.TrendPeriod) -> outcomes.TrendPeriod:
    return outcomes.TrendPeriod(
        data_inicio=period.first_date,
        data_fim=period.last_date,
        visitas=period.visits,
        alunos_unicos=period.unique_members,
        novos_alunos=period.new_members,
        cancelamentos=period.cancellations,
        media_duracao_minutos=_optional(period, "average_visit_minutes"),
    )


def trend_out(reply: rpb.GetWeeklyTrendResponse) -> outcomes.WeeklyTrend:
    return outcomes.WeeklyTrend(
        ate=reply.until_date,
        semanas=[_period_out(week) for week in reply.weeks],
        mesmo_dia_semana=[_period_out(day) for day in reply.same_weekday],
    )
