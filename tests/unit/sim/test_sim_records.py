"""The plain records the churn training reads."""

from datetime import UTC

from frequenta_sim.gym import SimulatedGym
from frequenta_sim.records import training_records


def test_records_carry_the_gym(small_gym: SimulatedGym) -> None:
    data = training_records(small_gym)
    assert data.until == small_gym.until
    assert len(data.members) == len(small_gym.members)
    assert len(data.visits) == small_gym.visit_count
    months = {"mensal": 1, "trimestral": 3, "semestral": 6, "anual": 12}
    for index, (record, member) in enumerate(zip(data.members, small_gym.members, strict=True)):
        assert record.member_id == index
        assert record.plan_code == member.plan_code
        assert record.plan_duration_months == months[member.plan_code]
        assert record.enrolled_at == member.enrolled_at
        assert record.cancelled_at == member.cancelled_at
    for record, visit in zip(data.visits, small_gym.iter_visits(), strict=True):
        assert (record.member_id, record.entered_at, record.exited_at) == (
            visit.member,
            visit.entered_at,
            visit.exited_at,
        )
        assert record.entered_at.tzinfo is UTC
    assert any(record.exited_at is None for record in data.visits)
