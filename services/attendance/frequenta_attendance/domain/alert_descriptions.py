"""An alert in words (pt-BR), for the staff who read it."""

from frequenta_attendance.domain.alerts import Alert, AlertKind, AlertThresholds


def _days(count: int) -> str:
    return "1 dia" if count == 1 else f"{count} dias"


def _visits(count: int) -> str:
    return "1 visita" if count == 1 else f"{count} visitas"


def describe(alert: Alert, thresholds: AlertThresholds) -> str:
    if alert.kind is AlertKind.NO_FIRST_VISIT:
        return (
            f"Matriculado há {_days(alert.days_without_visit)} e ainda não veio à academia "
            f"(alerta após {_days(thresholds.days_without_first_visit)} sem a primeira visita)."
        )
    if alert.kind is AlertKind.FEW_EARLY_VISITS:
        return (
            f"Só {_visits(alert.early_month_visits or 0)} no {alert.early_month}º mês de "
            f"matrícula (mínimo: {_visits(thresholds.min_visits_per_month)}) e nenhuma desde "
            f"então; última visita há {_days(alert.days_without_visit)}."
        )
    return (
        f"{_days(alert.days_without_visit)} sem visitar a academia "
        f"(estágio de {_days(alert.stage_days or 0)})."
    )
