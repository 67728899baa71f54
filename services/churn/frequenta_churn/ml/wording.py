"""What staff read: one Portuguese sentence per factor, the risk band, and what to do.

Risk bands are set from the training base rate b (the share of snapshots that cancelled within
the horizon) and kept with the model version: "alto" from 3 b, "médio" from 1.5 b, "baixo" below.
With calibrated probabilities, "alto" means at least three times the gym's usual chance of
cancelling within the horizon. A base-rate multiple (rather than fixed probabilities) keeps the
bands meaningful for any horizon and any gym; storing them per version keeps a member's band
explainable after a retrain.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from frequenta_churn.ml.records import PLAN_CODES

MEDIUM_MULTIPLE = 1.5
HIGH_MULTIPLE = 3.0
NEW_MEMBER_DAYS = 90
MIN_CHANGE_PER_WEEK = 0.5  # a smaller change is not worded as a fall or a rise


class RiskBand(StrEnum):
    LOW = "baixo"
    MEDIUM = "médio"
    HIGH = "alto"


@dataclass(frozen=True)
class RiskBands:
    medium: float  # probability from which a member is "médio"
    high: float  # probability from which a member is "alto"

    @classmethod
    def from_base_rate(cls, base_rate: float) -> "RiskBands":
        high = min(HIGH_MULTIPLE * base_rate, 0.9)
        return cls(medium=min(MEDIUM_MULTIPLE * base_rate, high), high=high)

    def band(self, probability: float) -> RiskBand:
        if probability >= self.high:
            return RiskBand.HIGH
        if probability >= self.medium:
            return RiskBand.MEDIUM
        return RiskBand.LOW


def _number(value: float, decimals: int = 1) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def _days(n: int) -> str:
    return "1 dia" if n == 1 else f"{n} dias"


def _absence(v: Mapping[str, float]) -> str:
    days, gap = round(v["days_since_last_visit"]), round(v["usual_gap_days"])
    if days == 0:
        text = "veio à academia hoje"
    elif days >= 120:
        text = "120 dias ou mais sem vir à academia"
    else:
        text = f"{_days(days)} sem vir à academia"
    if days > 0 and 0 < gap < 28:
        text += f"; o intervalo habitual é de {_days(gap)}"
    return text


def _frequency(v: Mapping[str, float]) -> str:
    recent, baseline, ratio = (
        v["visits_per_week_4w"],
        v["baseline_visits_per_week"],
        v["frequency_ratio"],
    )
    if ratio < 0.8 and baseline - recent >= MIN_CHANGE_PER_WEEK:
        return f"frequência caiu de {_number(baseline)} para {_number(recent)} visitas por semana"
    if ratio > 1.25 and recent - baseline >= MIN_CHANGE_PER_WEEK:
        return f"frequência subiu de {_number(baseline)} para {_number(recent)} visitas por semana"
    return f"{_number(recent)} visitas por semana nas últimas 4 semanas"


def _regularity(v: Mapping[str, float], everything: Mapping[str, float]) -> str:
    share = v["active_weeks_share_8w"]
    if everything.get("tenure_days", 0) >= 56:
        return f"veio em {round(share * 8)} das últimas 8 semanas"
    return f"veio em {round(share * 100)}% das semanas desde a matrícula"


def _tenure(v: Mapping[str, float]) -> str:
    days = round(v["tenure_days"])
    if days < NEW_MEMBER_DAYS:
        return f"primeiros 90 dias de matrícula ({_days(days)})"
    if days >= 730:
        return "matriculado há 2 anos ou mais"
    return f"matriculado há {days // 30} meses"


def _plan_name(v: Mapping[str, float]) -> str:
    for code in PLAN_CODES:
        if v.get(f"plan_{code}", 0.0) >= 0.5:
            return f"plano {code}"
    return "plano fora dos planos padrão"


def _plan_renewal(v: Mapping[str, float]) -> str:
    days = round(v["days_to_plan_end"])
    if days == 0:
        return f"{_plan_name(v)}; o ciclo atual termina hoje"
    return f"{_plan_name(v)}; o ciclo atual termina em {_days(days)}"


def sentence(code: str, values: Mapping[str, float], everything: Mapping[str, float]) -> str:
    """The sentence of one factor, from the member's feature values."""
    if code == "absence":
        return _absence(values)
    if code == "frequency":
        return _frequency(values)
    if code == "regularity":
        return _regularity(values, everything)
    if code == "visit_duration":
        return f"visitas de {round(values['avg_visit_minutes'])} minutos em média"
    if code == "tenure":
        return _tenure(values)
    if code == "plan_renewal":
        return _plan_renewal(values)
    raise ValueError(f"unknown factor {code!r}")


RECOMMENDATIONS: Mapping[str, str] = {
    "absence": "Entrar em contato (ligação ou mensagem) convidando o aluno a voltar e perguntar "
    "se algo atrapalhou a rotina.",
    "frequency": "Conversar sobre a rotina de treinos e propor horários ou um treino mais curto "
    "que caibam na semana.",
    "regularity": "Combinar dias fixos de treino e enviar lembretes semanais.",
    "visit_duration": "Oferecer uma reavaliação com o instrutor para renovar o treino.",
    "tenure": "Fazer o acompanhamento de boas-vindas: treino guiado com instrutor e contato ao "
    "fim do primeiro mês.",
    "plan_renewal": "Falar com o aluno antes da renovação, com uma oferta de continuidade "
    "(a quem renova todo mês, as vantagens de um plano mais longo).",
}
KEEP_GOING = "Manter o acompanhamento habitual."


def recommendations(risk_raising_codes: Sequence[str], band: RiskBand, limit: int = 2) -> list[str]:
    """Short advice for the factors that raise the risk, strongest first; the usual follow-up for
    a low band or when nothing raises it."""
    if band is RiskBand.LOW or not risk_raising_codes:
        return [KEEP_GOING]
    advice = []
    for code in risk_raising_codes:
        text = RECOMMENDATIONS.get(code)
        if text and text not in advice:
            advice.append(text)
    return advice[:limit] or [KEEP_GOING]
