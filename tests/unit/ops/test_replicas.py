"""frequenta_ops.replicas: the names, counts and ports of several copies of a process kind."""

import json

import pytest

from frequenta_ops.replicas import expand, kind_of, parse_replicas, replica_settings

PROCESSES = {"relay": "python -m frequenta_attendance relay", "gateway": "python -m gw"}


def test_copies_after_the_first_are_numbered_and_keep_their_kind() -> None:
    names = expand(PROCESSES, {"relay": 3})
    assert list(names) == ["relay", "relay.2", "relay.3", "gateway"]
    assert {kind_of(name) for name in names} == {"relay", "gateway"}
    assert set(names.values()) == set(PROCESSES.values())


@pytest.mark.parametrize(
    ("replicas", "message"),
    [({"relais": 2}, "no process relais in the Procfile"), ({"relay": 0}, "at least 1")],
)
def test_unknown_kinds_and_counts_below_one_are_refused(replicas, message) -> None:
    with pytest.raises(ValueError, match=message):
        expand(PROCESSES, replicas)


def test_the_command_line_form_is_kind_equals_count() -> None:
    assert parse_replicas("relay=3, ingest-worker=2,") == {"relay": 3, "ingest-worker": 2}
    with pytest.raises(ValueError, match="KIND=COUNT"):
        parse_replicas("relay")


def test_a_copy_gets_a_metrics_port_and_a_served_port_of_its_own() -> None:
    env = {"FREQUENTA_METRICS_PORTS": json.dumps({"relay": 9205, "scheduler": 9208})}
    relay = replica_settings("relay", env)
    ports = json.loads(relay["FREQUENTA_METRICS_PORTS"])
    assert ports["scheduler"] == 9208 and ports["relay"] not in (9205, 0)
    assert set(relay) == {"FREQUENTA_METRICS_PORTS"}  # a relay serves nothing else
    gateway = replica_settings("gateway", {"FREQUENTA_GATEWAY_PORT": "8000"})
    assert set(gateway) == {"FREQUENTA_GATEWAY_PORT"}  # its metrics are on its own port
    assert gateway["FREQUENTA_GATEWAY_PORT"] != "8000"
