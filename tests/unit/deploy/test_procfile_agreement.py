"""One list of processes: compose and Kubernetes run exactly the Procfile's processes, each with
exactly its Procfile command, and the one-shots run exactly the Makefile's commands."""

import re

import pytest
from deploy_support import (
    INFRA_SERVICES,
    ONE_SHOT_SERVICES,
    ROOT,
    base_resources,
    compose_services,
    load_yaml,
    makefile_command,
    procfile_commands,
)


def disagreements(procfile: dict[str, list[str]], deployed: dict[str, list[str]]) -> list[str]:
    """What differs between the Procfile's commands and a deployment's, in words."""
    problems = [f"{name}: in the Procfile, not deployed" for name in procfile.keys() - deployed]
    problems += [f"{name}: deployed, not in the Procfile" for name in deployed.keys() - procfile]
    problems += [
        f"{name}: runs {deployed[name]}, the Procfile says {procfile[name]}"
        for name in procfile.keys() & deployed.keys()
        if procfile[name] != deployed[name]
    ]
    return sorted(problems)


def compose_commands() -> dict[str, list[str]]:
    skip = INFRA_SERVICES | ONE_SHOT_SERVICES
    return {
        name: service.get("command")
        for name, service in compose_services().items()
        if name not in skip
    }


def kubernetes_commands() -> dict[str, list[str]]:
    commands = {}
    for name, deployment in base_resources("Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        commands[name] = container.get("command")
    return commands


def test_the_procfile_lists_every_process_once() -> None:
    assert len(procfile_commands()) >= 9
    assert all(argv[:2] == ["python", "-m"] for argv in procfile_commands().values())


@pytest.mark.parametrize("deployed", [compose_commands, kubernetes_commands], ids=str)
def test_deployments_run_exactly_the_procfile(deployed) -> None:
    assert disagreements(procfile_commands(), deployed()) == []


def test_a_drifted_procfile_is_caught() -> None:
    """The comparison fails when the Procfile and a deployment part ways."""
    text = (ROOT / "Procfile").read_text()
    drifted = procfile_commands(text.replace("worker ingest", "worker ingest --fast"))
    renamed = procfile_commands(re.sub(r"^relay:", "outbox-relay:", text, flags=re.M))
    assert disagreements(drifted, compose_commands()) == [
        "ingest-worker: runs ['python', '-m', 'frequenta_attendance', 'worker', 'ingest'], "
        "the Procfile says ['python', '-m', 'frequenta_attendance', 'worker', 'ingest', '--fast']"
    ]
    assert disagreements(renamed, kubernetes_commands()) == [
        "outbox-relay: in the Procfile, not deployed",
        "relay: deployed, not in the Procfile",
    ]


def test_migrations_run_the_command_of_make_up() -> None:
    init = makefile_command("frequenta_db")
    (job,) = base_resources("Job").values()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert compose_services()["migrate"]["command"] == init
    assert container["command"] == init


def test_the_demo_profile_runs_what_make_up_runs_after_the_processes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    seed_args = re.search(r"^SEED_ARGS\s*\?=\s*(.*)$", makefile, re.M).group(1).split()
    seed = [
        arg
        for token in makefile_command("frequenta_sim")
        for arg in {"$(GATEWAY_URL)": ["http://gateway:8000"], "$(SEED_ARGS)": seed_args}.get(
            token, [token]
        )
    ]
    services = compose_services()
    assert services["seed"]["command"] == seed
    assert services["train-first-model"]["command"] == makefile_command("frequenta_churn")
    assert services["seed"]["profiles"] == services["train-first-model"]["profiles"] == ["demo"]


def test_the_local_overlay_scales_only_processes_of_the_procfile() -> None:
    overlay = load_yaml(ROOT / "deploy/k8s/overlays/local/kustomization.yaml")
    assert {entry["name"] for entry in overlay["replicas"]} <= procfile_commands().keys()
