"""Readers of the repository's deployment files for the static checks of deploy/: the Procfile,
the compose files, the Kubernetes manifests and kustomizations, the Makefile's commands."""

import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from honcho.environ import parse_procfile

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "deploy/docker/Dockerfile"
COMPOSE_DIR = ROOT / "deploy/compose"
COMPOSE_FILES = [COMPOSE_DIR / "compose.yaml", COMPOSE_DIR / "infra.yaml"]
K8S_DIR = ROOT / "deploy/k8s"
# The Kubernetes version the manifests are validated against (kubernetes-validate's schemas).
K8S_VERSION = "1.31.0"
# Compose services that are no process of the Procfile: the infrastructure and the one-shots.
INFRA_SERVICES = {"postgres", "rabbitmq", "redis"}
ONE_SHOT_SERVICES = {"migrate", "seed", "train-first-model"}


def tool(name: str) -> str:
    """A console script of the interpreter's own virtualenv (hadolint comes in a wheel)."""
    return str(Path(sys.executable).parent / name)


def procfile_commands(text: str | None = None) -> dict[str, list[str]]:
    """Process name -> argv, parsed as the launcher parses the Procfile."""
    text = (ROOT / "Procfile").read_text() if text is None else text
    return {name: shlex.split(command) for name, command in parse_procfile(text).processes.items()}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def compose_services() -> dict[str, dict[str, Any]]:
    """Every service of compose.yaml and the files it includes, anchors and merges resolved."""
    services: dict[str, dict[str, Any]] = {}
    for path in COMPOSE_FILES:
        services.update(load_yaml(path).get("services", {}))
    return services


def manifest_files() -> list[Path]:
    """Every Kubernetes manifest under deploy/k8s (kustomization files are not manifests)."""
    return sorted(p for p in K8S_DIR.rglob("*.yaml") if p.name != "kustomization.yaml")


def kustomizations() -> list[Path]:
    return sorted(K8S_DIR.rglob("kustomization.yaml"))


def documents(path: Path) -> Iterator[dict[str, Any]]:
    for document in yaml.safe_load_all(path.read_text()):
        if document:
            yield document


def base_resources(kind: str) -> dict[str, dict[str, Any]]:
    """Name -> manifest of every resource of ``kind`` the base kustomization lists."""
    base = K8S_DIR / "base"
    found = {}
    for entry in load_yaml(base / "kustomization.yaml")["resources"]:
        for document in documents(base / entry):
            if document["kind"] == kind:
                found[document["metadata"]["name"]] = document
    return found


def makefile_command(module: str) -> list[str]:
    """The argv of the Makefile's `$(PY) -m <module> ...` line, `python` for `$(PY)`."""
    for line in (ROOT / "Makefile").read_text().splitlines():
        match = re.match(rf"\s*\$\(PY\) -m {re.escape(module)}\b(.*)$", line)
        if match:
            return ["python", "-m", module, *shlex.split(match.group(1))]
    raise LookupError(f"no `$(PY) -m {module}` line in the Makefile")
