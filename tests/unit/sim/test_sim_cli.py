"""The command line: stats, and seed's --if-empty."""

import pytest
from fake_gateway import FakeGateway

from frequenta_sim.cli import main, parser, seed_through

ARGS = ["--members", "30", "--months", "2", "--seed", "3", "--until", "2026-03-01T00:00:00-03:00"]


def test_stats_prints_churn_by_plan_and_archetype(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", *ARGS]) == 0
    out = capsys.readouterr().out
    assert "seed 3: 30 members" in out
    for word in ("plan", "mensal", "archetype", "regular", "reasons", "generated in"):
        assert word in out


def test_seed_if_empty_seeds_an_empty_gym_once(capsys: pytest.CaptureFixture[str]) -> None:
    gateway = FakeGateway()
    args = parser().parse_args(["seed", *ARGS, "--if-empty", "--quiet"])
    with gateway.client() as client:
        assert seed_through(client, args) == 0
        seeded = len(gateway.members)
        assert seeded == 30 and gateway.visits
        assert seed_through(client, args) == 0
    assert len(gateway.members) == seeded
    assert "already has 30 members: not seeding" in capsys.readouterr().out


def test_until_needs_an_offset() -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["stats", "--until", "2026-03-01T00:00:00"])
