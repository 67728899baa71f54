"""The effect of retention work (pure): the cancellation rate of the members the team contacts
against the control group's, with 95 % intervals (intervals.py), and a sentence in Portuguese.

Counted: the members drawn at least the follow-up window ago (their outcome is known);
a cancellation counts when it came within the window after the draw. The comparison is by
group as drawn (intention to treat): a `contato` member nobody reached still counts there, so
the difference measures the policy of calling, not a selected few; `contatados` says how many
were reached. Below MIN_MEMBERS in either group the sentence says the data is not enough yet."""

from dataclasses import dataclass

from frequenta_churn.retention.intervals import Interval, newcombe_difference, wilson

MIN_MEMBERS = 30


@dataclass(frozen=True)
class GroupCounts:
    members: int  # follow-up window ended
    cancellations: int  # within the window
    in_follow_up: int  # window still open


@dataclass(frozen=True)
class GroupOutcome:
    members: int
    cancellations: int
    rate: float
    ci: Interval
    in_follow_up: int


@dataclass(frozen=True)
class Effect:
    contact: GroupOutcome
    control: GroupOutcome
    difference: float  # contact rate - control rate
    ci: Interval
    contacted: int
    follow_up_days: int
    control_share: float
    conclusion: str


def outcome(counts: GroupCounts) -> GroupOutcome:
    rate = counts.cancellations / counts.members if counts.members else 0.0
    return GroupOutcome(
        counts.members,
        counts.cancellations,
        rate,
        wilson(counts.cancellations, counts.members),
        counts.in_follow_up,
    )


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%".replace(".", ",")


def _points(share: float) -> str:
    return f"{share * 100:+.1f}".replace(".", ",")


def conclusion(contact: GroupOutcome, control: GroupOutcome, ci: Interval, days: int) -> str:
    if min(contact.members, control.members) < MIN_MEMBERS:
        return (
            f"Ainda sem dados suficientes: {contact.members} membros no grupo contato e "
            f"{control.members} no grupo controle com os {days} dias de acompanhamento "
            f"encerrados; são necessários ao menos {MIN_MEMBERS} em cada grupo."
        )
    rates = (
        f"{_percent(contact.rate)} de cancelamentos no grupo contato contra "
        f"{_percent(control.rate)} no controle (diferença de {_points(contact.rate - control.rate)}"
        f" pontos percentuais, IC 95% de {_points(ci.lower)} a {_points(ci.upper)})"
    )
    if ci.upper < 0:
        return f"Os contatos reduziram os cancelamentos: {rates}."
    if ci.lower > 0:
        return f"O grupo contato cancelou mais que o controle: {rates}."
    return f"Sem diferença clara entre os grupos: {rates}; o intervalo inclui zero."


def measure(
    contact: GroupCounts,
    control: GroupCounts,
    *,
    contacted: int,
    follow_up_days: int,
    control_share: float,
) -> Effect:
    first, second = outcome(contact), outcome(control)
    ci = newcombe_difference(
        contact.cancellations, contact.members, control.cancellations, control.members
    )
    return Effect(
        contact=first,
        control=second,
        difference=first.rate - second.rate,
        ci=ci,
        contacted=contacted,
        follow_up_days=follow_up_days,
        control_share=control_share,
        conclusion=conclusion(first, second, ci, follow_up_days),
    )
