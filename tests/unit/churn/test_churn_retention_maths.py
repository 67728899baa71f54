"""The pure maths of retention work: Wilson and Newcombe intervals against the published worked
examples, the effect report and its sentence, the day's capacity against the expected
cancellations, the contact status, the seeded control-group draw, and the visit rates against a
plain per-member reading of their definition."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from churn_synthetic import SAO_PAULO, synthetic_gym
from visit_rates_reference import reference_rates

from frequenta_churn.ml.localtime import to_ms
from frequenta_churn.ml.records import GymColumns
from frequenta_churn.retention.assignment import draw_groups
from frequenta_churn.retention.capacity import capacity_cover
from frequenta_churn.retention.effect import GroupCounts, measure
from frequenta_churn.retention.intervals import Interval, newcombe_difference, wilson
from frequenta_churn.retention.status import ContactStatus, Group, Outcome, contact_status
from frequenta_churn.serving.rates import visit_rates

# R. G. Newcombe, Interval estimation for the difference between independent proportions:
# comparison of eleven methods, Stat. Med. 17 (1998), Table II, method 10 (score, no continuity
# correction): (m/n - x/y) -> 95 % limits.
NEWCOMBE_1998 = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0)),
    ((10, 10, 0, 10), (0.6075, 1.0)),
]
# R. G. Newcombe, Two-sided confidence intervals for the single proportion: comparison of seven
# methods, Stat. Med. 17 (1998), Table I, method 3 (Wilson score).
WILSON_1998 = [
    ((81, 263), (0.2553, 0.3662)),
    ((15, 148), (0.0624, 0.1605)),
    ((0, 20), (0.0, 0.1611)),
    ((1, 29), (0.0061, 0.1718)),
]


@pytest.mark.parametrize(("counts", "limits"), NEWCOMBE_1998)
def test_newcombes_hybrid_score_interval_matches_the_published_examples(counts, limits):
    interval = newcombe_difference(*counts)
    assert (round(interval.lower, 4), round(interval.upper, 4)) == limits


@pytest.mark.parametrize(("counts", "limits"), WILSON_1998)
def test_wilsons_interval_matches_the_published_examples(counts, limits):
    interval = wilson(*counts)
    assert (round(interval.lower, 4), round(interval.upper, 4)) == limits


def test_an_empty_group_has_the_widest_interval():
    assert wilson(0, 0) == Interval(0.0, 1.0)
    interval = newcombe_difference(0, 0, 3, 10)
    assert -1 <= interval.lower < interval.upper <= 1


def test_the_effect_report_needs_30_members_in_each_group():
    small = measure(
        GroupCounts(80, 8, 3),
        GroupCounts(29, 9, 0),
        contacted=70,
        follow_up_days=30,
        control_share=0.1,
    )
    assert small.conclusion.startswith("Ainda sem dados suficientes")
    assert "80 membros no grupo contato e 29 no grupo controle" in small.conclusion
    assert small.difference == pytest.approx(0.1 - 9 / 29)
    assert small.contact.ci == wilson(8, 80) and small.control.in_follow_up == 0


@pytest.mark.parametrize(
    ("contact", "control", "opening"),
    [
        ((200, 20), (60, 18), "Os contatos reduziram os cancelamentos"),
        ((200, 60), (60, 6), "O grupo contato cancelou mais que o controle"),
        ((200, 40), (60, 13), "Sem diferença clara entre os grupos"),
    ],
)
def test_the_sentence_follows_the_interval_of_the_difference(contact, control, opening):
    effect = measure(
        GroupCounts(*contact, 0),
        GroupCounts(*control, 0),
        contacted=150,
        follow_up_days=30,
        control_share=0.1,
    )
    assert effect.conclusion.startswith(opening)
    interval = newcombe_difference(contact[1], contact[0], control[1], control[0])
    assert effect.ci == interval
    assert (interval.upper < 0, interval.lower > 0) == (
        opening.startswith("Os contatos"),
        opening.startswith("O grupo contato"),
    )
    assert "IC 95%" in effect.conclusion


def test_the_capacity_covers_the_first_members_to_call_without_the_control_group():
    p = np.array([0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    control = np.array([False, True, False, False, True, False])
    cover = capacity_cover(p, control, 2)
    assert cover.expected == pytest.approx(2.1)
    assert cover.expected_within == pytest.approx(0.6 + 0.4)
    assert cover.coverage == pytest.approx(1.0 / 2.1, abs=1e-4)
    everyone = capacity_cover(p, control, 40)
    assert everyone.expected_within == pytest.approx(0.6 + 0.4 + 0.3 + 0.1)
    assert capacity_cover(np.zeros(0), np.zeros(0, dtype=bool), 40).coverage == 0.0


NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("group", "last", "outcome", "status"),
    [
        (Group.CONTROL, NOW, Outcome.TALKED, ContactStatus.CONTROL),
        (Group.CONTROL, None, None, ContactStatus.CONTROL),
        (Group.CONTACT, None, None, ContactStatus.NOT_CONTACTED),
        (None, None, None, ContactStatus.NOT_CONTACTED),
        (Group.CONTACT, NOW - timedelta(days=31), Outcome.TALKED, ContactStatus.NOT_CONTACTED),
        (Group.CONTACT, NOW - timedelta(days=29), Outcome.NO_ANSWER, ContactStatus.CONTACTED),
        (None, NOW, Outcome.CALLBACK_SCHEDULED, ContactStatus.CALLBACK_SCHEDULED),
    ],
)
def test_the_contact_status(group, last, outcome, status):
    assert contact_status(group, last, outcome, NOW, 30) is status


def test_the_draw_is_reproducible_per_member_and_near_its_share():
    ids = list(range(1, 4001))
    drawn = draw_groups(ids, seed=3, control_share=0.1)
    again = draw_groups(reversed(ids[:500]), seed=3, control_share=0.1)
    assert all(again[m] is drawn[m] for m in again)  # any order, any batch
    share = sum(g is Group.CONTROL for g in drawn.values()) / len(ids)
    assert 0.08 < share < 0.12
    other = draw_groups(ids, seed=4, control_share=0.1)
    assert other != drawn
    assert set(draw_groups(ids[:50], seed=3, control_share=0.0).values()) == {Group.CONTACT}


def test_the_visit_rates_follow_their_definition_for_every_member():
    members, visits, end = synthetic_gym(members=200, days=300, seed=5)
    active = [m for m in members if m.cancelled_at is None]
    gym = GymColumns.from_records(active, visits, SAO_PAULO)
    for at in (end, end - timedelta(days=100, hours=3)):
        recent, usual = visit_rates(gym, to_ms(at))
        by_member: dict[int, list] = {}
        for visit in visits:
            by_member.setdefault(visit.member_id, []).append(visit)
        enrolled_before = [m for m in active if m.enrolled_at <= at]
        for member in enrolled_before:
            i = int(gym.index_of([member.member_id])[0])
            expected_recent, expected_usual = reference_rates(
                member, by_member.get(member.member_id, []), at
            )
            assert round(recent[i], 2) == pytest.approx(expected_recent, abs=0.011)
            if expected_usual is None:
                assert np.isnan(usual[i])
            else:
                assert round(usual[i], 2) == pytest.approx(expected_usual, abs=0.011)
